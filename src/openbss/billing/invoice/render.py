"""An :class:`InvoiceDocument` to PDF bytes, with Typst compiled in-process.

The layout (``invoice.typ``) is fixed; the invoice's values reach it as one JSON input
(``sys.inputs``), so user text is data to Typst and can never become markup. One compiler
per process keeps the parsed layout and the font index warm between invoices; a bill run
that renders in several processes gets one in each, and starts them with ``spawn`` or
``forkserver``: a process forked after Typst has run inherits the locks of Typst's worker
threads without the threads, and its first render never returns.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import typst

from openbss.billing.invoice.document import InvoiceDocument
from openbss.billing.invoice.fonts import InvoiceFont, locate_invoice_font
from openbss.billing.invoice.view import invoice_view

LAYOUT = Path(__file__).with_name("invoice.typ")
# One compile at a time per compiler: the binding's thread-safety is not documented.
_compile_lock = threading.Lock()


@lru_cache(maxsize=2)
def _compiler(font: InvoiceFont) -> typst.Compiler:
    # Only the located folder (and Typst's own embedded fonts, as a last resort for symbols)
    # is searched: the system's other fonts never change how an invoice looks.
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(font.directory)]
    )
    return typst.Compiler(
        str(LAYOUT), root=str(LAYOUT.parent), font_paths=fonts, ignore_system_fonts=True
    )


def _creation_timestamp(doc: InvoiceDocument) -> int:
    # The PDF's creation date is the issue date (midnight, province time), not the wall
    # clock, so rendering the same invoice twice gives the same bytes.
    midnight = datetime(
        doc.issue_date.year,
        doc.issue_date.month,
        doc.issue_date.day,
        tzinfo=ZoneInfo(doc.time_zone),
    )
    return int(midnight.timestamp())


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as a PDF: a summary page, then the itemised detail page by page, then a
    section per consolidated child account; zh-CN and English; the CJK font embedded.

    Raises :class:`~openbss.billing.invoice.fonts.InvoiceFontMissing` when the machine has
    no Chinese font.
    """
    font = locate_invoice_font()
    data = json.dumps(invoice_view(doc, font.family), ensure_ascii=False)
    compiler = _compiler(font)
    with _compile_lock:
        # Untagged: the structure tree of a tagged PDF makes a long detail about twenty
        # times larger, and bill runs store millions of these.
        pdf = compiler.compile(
            format="pdf",
            sys_inputs={"invoice": data},
            timestamp=_creation_timestamp(doc),
            pdf_tags=False,
        )
    assert isinstance(pdf, bytes)
    return pdf
