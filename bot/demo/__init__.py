"""`townsquare demo`: a simulated community on the real bot (see bot/demo/run.py).

Kept free of imports so `townsquare --help` stays fast; the simulation loads when the demo runs.
"""
