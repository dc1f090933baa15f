"""Gates: who gets into the community (referral codes, invites, applications, open), founding members,
and the join-burst guard. Importing the package registers its handlers and registry entries."""

from bot.core.handlers.gates import applications, joins, policy, referrals  # noqa: F401
