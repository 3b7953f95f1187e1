"""Read a policy document into text: plain text (UTF-8, UTF-8 with BOM, GBK/GB18030), .docx and
text PDFs. Traditional characters are returned as they are.

Plain text is decoded strictly as UTF-8 first, then as GB18030 (a superset of GBK and GB2312);
anything that is neither, or that contains NUL bytes, is refused as binary.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024


class PolicyTextError(ValueError):
    """A file that cannot be read as a policy text; the message is Chinese and English."""


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise PolicyTextError("文件不是文本，也不是 docx 或 PDF / the file is binary, not text, docx or PDF")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
        if controls > max(2, len(text) // 100):
            break
        return text
    raise PolicyTextError(
        "无法识别文件编码（应为 UTF-8 或 GBK/GB18030 文本）/ "
        "cannot decode the file (expected UTF-8 or GBK/GB18030 text)"
    )


def _docx_text(data: bytes) -> str:
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises several types for a damaged package
        raise PolicyTextError(f"无法读取 docx 文件 / cannot read the docx file: {error}") from error
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                        cells.append("")
                        continue
                    seen.add(id(cell._tc))
                    cells.append(cell.text.replace("\n", " ").replace("\t", " ").strip())
                lines.append("\t".join(cells))
            lines.append("")
    return "\n".join(lines)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as error:
        raise PolicyTextError(f"无法读取 PDF 文件 / cannot read the PDF file: {error}") from error
    text = "\n".join(pages)
    if not text.strip():
        raise PolicyTextError(
            "PDF 中没有可提取的文字（可能是扫描件）/ the PDF has no extractable text (a scan?)"
        )
    return text


def read_policy_text(path: str | Path) -> str:
    """The text of the policy document at ``path``; raises PolicyTextError if it is unusable."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise PolicyTextError(f"文件为空 / the file is empty: {path.name}")
    if size > MAX_BYTES:
        raise PolicyTextError(
            f"文件超过 5 MB / the file is larger than 5 MB: {path.name} ({size} bytes)"
        )
    data = path.read_bytes()
    if data.startswith(b"%PDF"):
        text = _pdf_text(data)
    elif data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile as error:
            raise PolicyTextError("损坏的压缩文件 / a damaged zip file") from error
        if "word/document.xml" not in names:
            raise PolicyTextError(
                "压缩文件不是 docx / the zip file is not a docx document"
            )
        text = _docx_text(data)
    else:
        text = _decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise PolicyTextError(f"文件没有文字 / the file has no text: {path.name}")
    return text
