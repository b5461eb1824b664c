import re

from django.core.exceptions import ValidationError

CLASSES = (
    ("小写字母", re.compile(r"[a-z]")),
    ("大写字母", re.compile(r"[A-Z]")),
    ("数字", re.compile(r"\d")),
    ("符号", re.compile(r"[^A-Za-z0-9]")),
)


class ComplexityValidator:
    """At least ``min_length`` characters drawn from at least ``min_classes`` of the four kinds."""

    def __init__(self, min_length: int = 10, min_classes: int = 3):
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password, user=None):
        problems = []
        if len(password) < self.min_length:
            problems.append(
                ValidationError(f"密码至少需要 {self.min_length} 个字符。", code="password_too_short")
            )
        kinds = sum(1 for _, pattern in CLASSES if pattern.search(password))
        if kinds < self.min_classes:
            problems.append(
                ValidationError(
                    f"密码需包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类。",
                    code="password_too_simple",
                )
            )
        if problems:
            raise ValidationError(problems)

    def get_help_text(self):
        return f"至少 {self.min_length} 个字符，包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类。"
