from django import template

register = template.Library()


@register.filter
def pct(value, digits=1):
    """0.8534 → "85.3%"; None → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def yuan(fen):
    """Integer fen → yuan with two decimals; None → "—"."""
    if fen is None or fen == "":
        return "—"
    return f"{int(fen) / 100:,.2f}"
