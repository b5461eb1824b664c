"""What the registry tells its consumers, without knowing them: a person's facts changed from a date
(category, capability level, status, living situation, region). Entitlements recompute on it."""

from django.dispatch import Signal

elder_changed = Signal()  # sender=Elder, elder=<Elder>, on=<date>, what=<str>
