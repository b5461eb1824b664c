"""Uploaded spreadsheets and the error reports made from them, sealed at rest.

An import file holds personal data (ID numbers, phones) in the clear; so does the report of its
failed rows. Both are kept encrypted with the field key while they wait, and the upload is removed
once the import has read it.
"""

import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.http import FileResponse

from yanglao.core import crypto
from yanglao.core.models import Task
from yanglao.core.sheets import XLSX_MIME, Column, content_disposition, write_error_report

CONTEXT = "tasks.sealed-file"


def seal_upload(content: bytes, name: str) -> ContentFile:
    return ContentFile(crypto.encrypt_bytes(content, context=CONTEXT), name=Path(name).name + ".sealed")


def read_sealed(field_file) -> bytes:
    with field_file.open("rb") as fh:
        return crypto.decrypt_bytes(fh.read(), context=CONTEXT)


def unsealed_copy(task: Task):
    """The task's upload decrypted into a temporary file (closed and removed with the context)."""
    handle = tempfile.NamedTemporaryFile(suffix=Path(task.params.get("filename", "x.xlsx")).suffix)  # noqa: SIM115
    handle.write(read_sealed(task.input_file))
    handle.flush()
    return handle


def discard_upload(task: Task) -> None:
    task.input_file.delete(save=False)
    Task.objects.filter(pk=task.pk).update(input_file="")


def save_error_report(task: Task, columns: list[Column], failed, name: str) -> None:
    """The failed rows (with their row numbers and reasons) as a sealed .xlsx on the task."""
    path = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    try:
        write_error_report(path, columns, failed)
        sealed = crypto.encrypt_bytes(path.read_bytes(), context=CONTEXT)
    finally:
        path.unlink(missing_ok=True)
    task.output_file.save(f"{name}.xlsx.sealed", ContentFile(sealed), save=False)
    Task.objects.filter(pk=task.pk).update(output_file=task.output_file.name)


def error_report_response(task: Task, filename: str) -> FileResponse:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    handle.write(read_sealed(task.output_file))
    handle.seek(0)
    response = FileResponse(handle, content_type=XLSX_MIME)
    response["Content-Disposition"] = content_disposition(filename)
    return response
