"""Recurring community programming: AMAs, showcases and the calendar maths behind them."""
