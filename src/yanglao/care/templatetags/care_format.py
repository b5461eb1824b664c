from django import template

from yanglao.care.validation import format_fen

register = template.Library()


@register.filter
def yuan(fen):
    """Integer fen shown as yuan: 3550 → 35.50."""
    return format_fen(fen) if fen is not None else "—"
