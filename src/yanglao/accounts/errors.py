from django.db import models


class AccountErrorCode(models.TextChoices):
    INVALID_CREDENTIALS = "invalid_credentials", "用户名或密码错误"
    LOCKED = "account_locked", "登录失败次数过多，已暂时锁定"
    PASSWORD_CHANGE_REQUIRED = "password_change_required", "须先修改初始密码"
    ROLE_NOT_ASSIGNABLE = "role_not_assignable", "无权授予该角色"
    REGION_OUT_OF_SCOPE = "region_out_of_scope", "区划超出本人管辖范围"
    REGION_LEVEL = "region_level_invalid", "该角色不能设在此层级"
    USERNAME_TAKEN = "username_taken", "用户名已被使用"
    USERNAME_INVALID = "username_invalid", "用户名格式无效"
    SELF_DISABLE = "cannot_disable_self", "不能停用本人账号"
    PASSWORD_REUSED = "password_reused", "新密码不能与原密码相同"
    WRONG_PASSWORD = "wrong_password", "原密码错误"
    REGION_UNKNOWN = "region_unknown", "区划不存在"


class LoginRefused(Exception):
    def __init__(self, code: str, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after
