"""The meeting pack on paper: charts to PNG (Plotly + kaleido), a 16:9 PPTX and a PDF of the same pages.

Content comes from :mod:`kamcore.meeting_pack` (keys and typed values); here it is written in one
language with the app's figure builders (``ui/figures``) and catalogue, so the deck tells what
the pages tell. Nothing here needs a Streamlit session: the command line (``manage.py pack``)
and the app's *Meeting pack* both call :func:`render`.

Chart images need a Chromium/Chrome browser (kaleido 1.x drives one); the PDF is the same pages
printed by the same browser from an HTML rendering in which every text is escaped.
"""

from __future__ import annotations

import asyncio
import base64
import html
import io
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from kamcore.errors import KamError
from kamcore.meeting_pack import content as pc
from ui import charts, i18n
from ui.i18n import fmt_date, fmt_num, fmt_pct, t

#: Slide size 16:9 in inches (PowerPoint's widescreen) and the layout boxes on it.
SLIDE_W, SLIDE_H = 13.333, 7.5
MARGIN = 0.5
TITLE_TOP, TITLE_H = 0.3, 0.8
FINDINGS_TOP = 1.1
VISUAL_GAP = 0.25
VISUAL_BOTTOM = 7.05
NOTE_TOP = 7.08
#: Chart images: CSS pixels per inch of slide, and the device scale (2 = sharp on a projector).
PX_PER_INCH = 96
IMAGE_SCALE = 2
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


# ----------------------------------------------------------------------------------- texts
def text(value: Any) -> str:
    """A typed value, a catalogue text or user text, written in the current language."""
    return _written(value)


def _written(value: Any) -> str:
    if isinstance(value, pc.Msg):
        return t(value.key, **{k: _written(v) for k, v in dict(value.params).items()})
    if isinstance(value, pc.Num):
        return fmt_num(value.value, value.decimals)
    if isinstance(value, pc.Pct):
        return fmt_pct(value.value, value.decimals)
    if isinstance(value, pc.Date):
        return fmt_date(value.value)
    if isinstance(value, pc.Join):
        return value.sep.join(_written(p) for p in value.parts)
    if isinstance(value, pc.Dimension):
        return i18n.dimension_label(value.name)
    return "" if value is None else str(value)


#: Figure keys whose strings are never names (trace types, modes, colours, formats).
_NOT_TEXT = frozenset({"type", "mode", "xref", "yref", "xaxis", "yaxis", "hovermode", "barmode",
                       "orientation", "textposition", "hovertemplate", "texttemplate", "tickformat",
                       "hoverformat", "separators", "template", "color", "bgcolor", "fillcolor", "bdata",
                       "dtype", "shape"})


def _anonymised(value: Any, pseudonymiser: Any, key: str = "") -> Any:
    """Every text inside a figure's dict (labels, hover texts, annotations, titles) pseudonymised."""
    if isinstance(value, str):
        return value if key in _NOT_TEXT else pseudonymiser.text(value)
    if isinstance(value, dict):
        return {k: v if k == "template" else _anonymised(v, pseudonymiser, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_anonymised(v, pseudonymiser, key) for v in value]
    if hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "OUS":  # numpy text arrays
        return [_anonymised(v, pseudonymiser, key) for v in value.tolist()]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, pc.Num | pc.Pct)


# ---------------------------------------------------------------------------------- charts
def concentration_figure(conc: Any) -> go.Figure:
    """Share of revenue held by the top 1/5/10/20 % of accounts (the Portfolio page's table as bars)."""
    from kamcore import portfolio

    labels, values = [], []
    for p, k in ((0.01, 1), (0.05, 5), (0.10, 10), (0.20, 20)):
        labels.append(t("portfolio.conc_row_top_pct", pct=fmt_pct(p, 0),
                        n=fmt_num(portfolio.top_count(conc.n_accounts, p))))
        values.append(getattr(conc, f"top_{k}pct") * 100)
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=charts.POSITIVE,
                           text=[fmt_pct(v / 100) for v in values], textposition="auto"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 100])
    return charts.style(fig, title=t("pack.concentration_chart"), x_title=t("portfolio.conc_col_share"))


def _figures() -> dict[str, Callable[..., go.Figure]]:
    from ui.figures import account, portfolio, segments, selection, survey

    return {
        "pareto": portfolio.pareto_figure,
        "whale": portfolio.whale_figure,
        "concentration": concentration_figure,
        "movement": portfolio.movement_matrix_figure,
        "matrix": selection.matrix_figure,
        "rfm": segments.rfm_chart,
        "gap": lambda gaps: survey.gap_figure(gaps, "pair", t("survey.gap_chart_title")),
        "ipa": survey.ipa_figure,
        "trend": account.trend_figure,
        "account_survey": account.survey_figure,
    }


def figure(chart: pc.Chart) -> go.Figure:
    """The app's figure for ``chart``, localised (separators, date ticks) as the pages show it."""
    fig = _figures()[chart.kind](*chart.args)  # a new figure on every call (memo_figure copies its hit)
    charts.localise(fig)
    fig.update_layout(paper_bgcolor="white", plot_bgcolor="white")
    return fig


def browser_path() -> str | None:
    """The Chromium/Chrome kaleido and the PDF printer use: ``BROWSER_PATH`` or one on the PATH."""
    given = os.environ.get("BROWSER_PATH")
    if given and Path(given).exists():
        return given
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _no_browser() -> KamError:
    return KamError("pack.no_browser", "The meeting pack needs Chromium or Chrome to draw its charts; "
                    "none was found (python3 manage.py start installs Debian's chromium).")


#: Browser tabs drawing charts at the same time.
CHART_TABS = 3
CHART_TIMEOUT_S = 300


class _ChartBrowser:
    """One kaleido browser per process, kept open, drawing a batch of figures in parallel tabs.

    It lives on its own thread with its own event loop (Streamlit's script threads and the
    command line call :meth:`draw` from ordinary threads); one batch at a time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Any = None

    def _open(self) -> None:
        path = browser_path()
        if path is None:
            raise _no_browser()
        os.environ.setdefault("BROWSER_PATH", path)
        import kaleido

        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="kam-pack-charts", daemon=True).start()

        async def start() -> Any:
            browser = kaleido.Kaleido(n=CHART_TABS, mathjax=False)
            await browser.open()
            return browser

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=CHART_TIMEOUT_S)
        except Exception:
            loop.call_soon_threadsafe(loop.stop)
            raise
        self._loop = loop

    def _reset(self) -> None:
        loop, browser = self._loop, self._kaleido
        self._loop = self._kaleido = None
        if loop is not None:
            try:
                asyncio.run_coroutine_threadsafe(browser.close(), loop).result(timeout=30)
            except Exception:  # noqa: BLE001 - a crashed browser cannot be closed politely
                pass
            loop.call_soon_threadsafe(loop.stop)

    def draw(self, items: list[tuple[go.Figure, dict]]) -> list[bytes]:
        """PNG bytes of every ``(figure, opts)`` in ``items``, in order."""
        with self._lock:
            for attempt in (1, 2):  # a browser that died since the last pack is started again once
                if self._kaleido is None:
                    self._open()
                try:
                    return asyncio.run_coroutine_threadsafe(_batch(self._kaleido, items), self._loop).result(
                        timeout=CHART_TIMEOUT_S)
                except Exception:
                    self._reset()
                    if attempt == 2:
                        raise
            return []

    def print_pdf(self, url: str) -> bytes:
        """``url`` printed to PDF by the same browser (no second Chromium start)."""
        with self._lock:
            if self._kaleido is None:
                self._open()
            try:
                return asyncio.run_coroutine_threadsafe(_print(self._kaleido, url), self._loop).result(
                    timeout=CHART_TIMEOUT_S)
            except Exception:
                self._reset()
                raise


async def _batch(browser: Any, items: list[tuple[go.Figure, dict]]) -> list[bytes]:
    return list(await asyncio.gather(*[browser.calc_fig(fig, opts=opts) for fig, opts in items]))


async def _print(browser: Any, url: str) -> bytes:
    tab = await browser.create_tab("")
    try:
        await tab.send_command("Page.enable")
        loaded = tab.subscribe_once("Page.loadEventFired")
        await tab.send_command("Page.navigate", params={"url": url})
        await loaded
        answer = await tab.send_command("Page.printToPDF", params={
            "preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False})
        if "error" in answer:
            raise RuntimeError(str(answer["error"]))
        return base64.b64decode(answer["result"]["data"])
    finally:
        await browser.close_tab(tab.target_id)


_BROWSER = _ChartBrowser()


def warm_up() -> threading.Thread:
    """Start the chart browser in the background (it takes seconds) while the content is computed."""

    def run() -> None:
        try:
            _BROWSER.draw([(go.Figure(), {"format": "png", "width": 10, "height": 10})])
        except Exception:  # noqa: BLE001 - the real render reports the error with its sentence
            pass

    thread = threading.Thread(target=run, name="kam-pack-warm-up", daemon=True)
    thread.start()
    return thread


def _wrap_title(fig: go.Figure, width_px: int) -> None:
    """A title longer than the image is wide is broken into lines (the top margin grows with it);
    a subtitle after ``<br>`` stays as it is."""
    title = fig.layout.title.text
    if not title:
        return
    head, sep, rest = title.partition("<br>")
    if "<" in head:  # markup inside the first line: leave it alone
        return
    wrapped = charts.wrap(head, max(30, int(width_px / 8.5)))
    extra = wrapped.count("<br>")
    if extra:
        top = fig.layout.margin.t if fig.layout.margin.t is not None else charts.TOP_MARGIN
        fig.update_layout(title_text=wrapped + sep + rest, margin_t=top + extra * charts.TITLE_LINE)


def sized(fig: go.Figure, width_in: float, height_in: float) -> tuple[go.Figure, dict]:
    """``fig`` (changed in place) sized for a box of ``width_in`` x ``height_in`` slide inches, with
    kaleido's options."""
    width, height = int(width_in * PX_PER_INCH), int(height_in * PX_PER_INCH)
    fig.update_layout(width=width, height=height)
    _wrap_title(fig, width)
    return fig, {"format": "png", "width": width, "height": height, "scale": IMAGE_SCALE}


def png(fig: go.Figure, width_in: float, height_in: float) -> bytes:
    """``fig`` as a PNG of ``width_in`` x ``height_in`` slide inches (at IMAGE_SCALE)."""
    return _BROWSER.draw([sized(fig, width_in, height_in)])[0]


# ---------------------------------------------------------------------------------- layout
@dataclass
class Box:
    left: float
    top: float
    width: float
    height: float


@dataclass
class Page:
    """One slide written out: texts in the language, PNGs drawn, tables as text cells."""

    section: str
    title: str
    findings: list[str]
    visuals: list[tuple[str, Any, Box]]  # ("image", png bytes, box) or ("table", (header, rows, numeric), box)
    note: str | None
    is_title: bool = False


def _findings_height(findings: list[str]) -> float:
    lines = sum(1 + len(f) // 150 for f in findings)
    return min(0.32 * lines + 0.15, 2.2)


def layout(slide: pc.Slide, pseudonymiser: Any = None) -> tuple[Page, list[tuple[Any, dict]]]:
    """Write ``slide`` in the current language and place its parts on the 16:9 page; the charts'
    figures are returned to be drawn together (their image slots hold None until then).

    With a ``pseudonymiser`` (the anonymised mode) every text written and every text in a
    chart passes through it: real names and numbers never reach the files.
    """

    def text(value: Any) -> str:
        written = _written(value)
        return pseudonymiser.text(written) if pseudonymiser is not None else written

    title = text(slide.title)
    findings = [text(f) for f in slide.findings]
    note = text(slide.note) if slide.note is not None else None
    if slide.section == "title":
        return Page(slide.section, title, findings, [], note, is_title=True), []
    top = FINDINGS_TOP + _findings_height(findings) + 0.1
    bottom = VISUAL_BOTTOM - (0.3 if note else 0)
    n = len(slide.visuals)
    width = (SLIDE_W - 2 * MARGIN - VISUAL_GAP * max(n - 1, 0)) / max(n, 1)
    visuals: list[tuple[str, Any, Box]] = []
    to_draw = []
    for i, visual in enumerate(slide.visuals):
        box = Box(MARGIN + i * (width + VISUAL_GAP), top, width, bottom - top)
        if isinstance(visual, pc.Chart):
            fig, opts = sized(figure(visual), box.width, box.height)
            to_draw.append((_anonymised(fig.to_dict(), pseudonymiser) if pseudonymiser is not None else fig, opts))
            visuals.append(("image", None, box))
        else:
            header = [text(c) for c in visual.columns]
            rows = [[text(v) for v in row] for row in visual.rows]
            numeric = [bool(visual.rows) and all(_is_number(r[j]) or r[j] is None for r in visual.rows)
                       for j in range(len(header))]
            visuals.append(("table", (header, rows, numeric), box))
    return Page(slide.section, title, findings, visuals, note), to_draw


def pages(pack: pc.Pack, language: str, progress: Callable[[int, int], None] | None = None,
          pseudonymiser: Any = None) -> list[Page]:
    """Every slide of ``pack`` laid out in ``language``, its charts drawn as PNG in one batch.

    ``progress(i, n)`` is called as slide ``i`` of ``n`` is written, and with ``(n, n)`` before the
    charts are drawn.
    """
    out: list[Page] = []
    to_draw: list[tuple[go.Figure, dict]] = []
    with i18n.language(language):
        for i, slide in enumerate(pack.slides):
            if progress is not None:
                progress(i, len(pack.slides))
            page, figures = layout(slide, pseudonymiser)
            out.append(page)
            to_draw += figures
    if progress is not None:
        progress(len(pack.slides), len(pack.slides))
    images = iter(_BROWSER.draw(to_draw) if to_draw else [])
    for page in out:
        page.visuals = [(kind, next(images) if kind == "image" else payload, box)
                        for kind, payload, box in page.visuals]
    return out


# ------------------------------------------------------------------------------------ PPTX
def to_pptx(laid_out: list[Page]) -> bytes:
    """A 16:9 PowerPoint deck: title, findings as text, charts as pictures, tables as native tables."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    blank = deck.slide_layouts[6]
    dark, grey = RGBColor(0x1F, 0x2A, 0x37), RGBColor(0x55, 0x5F, 0x6B)

    def textbox(slide, box: Box, lines: list[str], size: int, *, bold: bool = False, color=dark,
                bullets: bool = False) -> None:
        frame = slide.shapes.add_textbox(Inches(box.left), Inches(box.top), Inches(box.width),
                                         Inches(box.height)).text_frame
        frame.word_wrap = True
        for i, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = ("• " if bullets else "") + line
            run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, color
            paragraph.space_after = Pt(4)

    for page in laid_out:
        slide = deck.slides.add_slide(blank)
        if page.is_title:
            textbox(slide, Box(MARGIN, 2.0, SLIDE_W - 2 * MARGIN, 1.2), [page.title], 40, bold=True)
            textbox(slide, Box(MARGIN, 3.3, SLIDE_W - 2 * MARGIN, 3.5), page.findings, 20, color=grey)
            continue
        textbox(slide, Box(MARGIN, TITLE_TOP, SLIDE_W - 2 * MARGIN, TITLE_H), [page.title], 28, bold=True)
        if page.findings:
            textbox(slide, Box(MARGIN, FINDINGS_TOP, SLIDE_W - 2 * MARGIN, _findings_height(page.findings)),
                    page.findings, 16, bullets=True)
        for kind, payload, box in page.visuals:
            if kind == "image":
                slide.shapes.add_picture(io.BytesIO(payload), Inches(box.left), Inches(box.top),
                                         Inches(box.width), Inches(box.height))
                continue
            header, rows, numeric = payload
            row_h = min(0.36, box.height / max(len(rows) + 1, 1))
            shape = slide.shapes.add_table(len(rows) + 1, len(header), Inches(box.left), Inches(box.top),
                                           Inches(box.width), Inches(row_h * (len(rows) + 1)))
            table = shape.table
            for j, name in enumerate(header):
                _cell(table.cell(0, j), name, 12, bold=True, right=numeric[j], align=PP_ALIGN)
            for i, row in enumerate(rows, start=1):
                for j, value in enumerate(row):
                    _cell(table.cell(i, j), value, 12, right=numeric[j], align=PP_ALIGN)
        if page.note:
            textbox(slide, Box(MARGIN, NOTE_TOP, SLIDE_W - 2 * MARGIN, 0.35), [page.note], 11, color=grey)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _cell(cell: Any, value: str, size: int, *, bold: bool = False, right: bool = False, align: Any) -> None:
    from pptx.util import Pt

    frame = cell.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    paragraph.alignment = align.RIGHT if right else align.LEFT
    run = paragraph.add_run()
    run.text = value
    run.font.size, run.font.bold = Pt(size), bold
    cell.margin_top = cell.margin_bottom = Pt(2)


# ------------------------------------------------------------------------------------- PDF
_CSS = f"""
@page {{ size: {SLIDE_W}in {SLIDE_H}in; margin: 0; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: 'Liberation Sans', 'DejaVu Sans', Arial, Helvetica, sans-serif; color: #1F2A37; }}
.slide {{ position: relative; width: {SLIDE_W}in; height: {SLIDE_H}in; overflow: hidden;
         page-break-after: always; break-after: page; }}
.abs {{ position: absolute; }}
h1 {{ margin: 0; font-size: 28pt; }}
.title h1 {{ font-size: 40pt; }}
ul {{ margin: 0; padding-left: 1.2em; font-size: 16pt; }}
.title ul {{ list-style: none; padding: 0; font-size: 20pt; color: #555F6B; }}
li {{ margin-bottom: 4pt; }}
img {{ width: 100%; height: 100%; }}
table {{ border-collapse: collapse; width: 100%; font-size: 12pt; }}
th {{ background: #1F4E79; color: white; text-align: left; padding: 3pt 5pt; }}
td {{ border-bottom: 1px solid #D0D7DE; padding: 3pt 5pt; }}
tr:nth-child(even) td {{ background: #F3F6F9; }}
.num {{ text-align: right; white-space: nowrap; }}
th.num {{ white-space: normal; }}  /* a long header wraps: the table stays inside its box */
.note {{ font-size: 11pt; color: #555F6B; }}
"""


def _style(box: Box) -> str:
    return f"left:{box.left}in;top:{box.top}in;width:{box.width}in;height:{box.height}in"


def to_html(laid_out: list[Page], language: str) -> str:
    """The pages as one HTML document (every text escaped: user text is never markup)."""
    esc = html.escape
    parts = [f'<!doctype html><html lang="{esc(language)}"><head><meta charset="utf-8">'
             # no script, no request: images are inline, every text escaped
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
             "style-src 'unsafe-inline'\">"
             f"<style>{_CSS}</style></head><body>"]
    for page in laid_out:
        if page.is_title:
            parts.append('<section class="slide title">')
            parts.append(f'<div class="abs" style="{_style(Box(MARGIN, 2.0, SLIDE_W - 2 * MARGIN, 1.2))}">'
                         f"<h1>{esc(page.title)}</h1></div>")
            parts.append(f'<div class="abs" style="{_style(Box(MARGIN, 3.3, SLIDE_W - 2 * MARGIN, 3.5))}"><ul>'
                         + "".join(f"<li>{esc(f)}</li>" for f in page.findings) + "</ul></div></section>")
            continue
        parts.append('<section class="slide">')
        parts.append(f'<div class="abs" style="{_style(Box(MARGIN, TITLE_TOP, SLIDE_W - 2 * MARGIN, TITLE_H))}">'
                     f"<h1>{esc(page.title)}</h1></div>")
        if page.findings:
            box = Box(MARGIN, FINDINGS_TOP, SLIDE_W - 2 * MARGIN, _findings_height(page.findings))
            parts.append(f'<div class="abs" style="{_style(box)}"><ul>'
                         + "".join(f"<li>{esc(f)}</li>" for f in page.findings) + "</ul></div>")
        for kind, payload, box in page.visuals:
            if kind == "image":
                data = base64.b64encode(payload).decode("ascii")
                parts.append(f'<div class="abs" style="{_style(box)}"><img alt="" src="data:image/png;base64,{data}">'
                             "</div>")
                continue
            header, rows, numeric = payload
            head = "".join(f'<th class="{"num" if numeric[j] else ""}">{esc(h)}</th>' for j, h in enumerate(header))
            body = "".join("<tr>" + "".join(f'<td class="{"num" if numeric[j] else ""}">{esc(v)}</td>'
                                            for j, v in enumerate(row)) + "</tr>" for row in rows)
            parts.append(f'<div class="abs" style="{_style(box)}"><table><thead><tr>{head}</tr></thead>'
                         f"<tbody>{body}</tbody></table></div>")
        if page.note:
            parts.append(f'<div class="abs note" style="{_style(Box(MARGIN, NOTE_TOP, SLIDE_W - 2 * MARGIN, 0.35))}">'
                         f"{esc(page.note)}</div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)


class _PdfJob:
    """The pages' HTML printed to PDF by the chart browser (a new tab), on a thread started now and
    collected by :meth:`result`; when that fails, by a headless Chromium of its own."""

    def __init__(self, laid_out: list[Page], language: str, timeout: float = 180):
        self._tmp = tempfile.TemporaryDirectory(prefix="kam-pack-")
        tmp = Path(self._tmp.name)
        self._source, self._target = tmp / "pack.html", tmp / "pack.pdf"
        self._source.write_text(to_html(laid_out, language), encoding="utf-8")
        self._timeout = timeout
        self._data: bytes | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kam-pack-pdf", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._data = _BROWSER.print_pdf(self._source.as_uri())
        except KamError as exc:
            self._error = exc
        except Exception:  # noqa: BLE001 - the browser's tab failed: print with a browser of its own
            try:
                self._data = self._subprocess()
            except BaseException as exc:  # noqa: BLE001 - handed to result()
                self._error = exc

    def _subprocess(self) -> bytes:
        browser = browser_path()
        if browser is None:
            raise _no_browser()
        tmp = Path(self._tmp.name)
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={tmp / 'profile'}", "--no-pdf-header-footer",
                   f"--print-to-pdf={self._target}", self._source.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=self._timeout, check=False)
            err = done.stderr
        except subprocess.TimeoutExpired as exc:
            err = exc.stderr or b""
        if not self._target.exists() or self._target.stat().st_size == 0:
            raise KamError("pack.pdf_failed", "The PDF could not be printed (the browser said: {detail}).",
                           detail=err.decode("utf-8", "replace")[-300:])
        return self._target.read_bytes()

    def result(self) -> bytes:
        try:
            self._thread.join(self._timeout * 2)
            if self._error is not None:
                raise self._error
            if self._data is None:
                raise KamError("pack.pdf_failed", "The PDF could not be printed (the browser said: {detail}).",
                               detail="timeout")
            return self._data
        finally:
            self._tmp.cleanup()


def to_pdf(laid_out: list[Page], language: str, timeout: float = 180) -> bytes:
    """The same pages as a PDF, printed by Chromium (a CSP forbids scripts and requests)."""
    return _PdfJob(laid_out, language, timeout).result()


def render(pack: pc.Pack, language: str, formats: tuple[str, ...] = ("pptx", "pdf"),
           progress: Callable[[int, int], None] | None = None, pseudonymiser: Any = None) -> dict[str, bytes]:
    """``{format: file bytes}`` for the pack in ``language`` (charts drawn once for both formats;
    the browser prints the PDF while the PPTX is written)."""
    laid_out = pages(pack, language, progress, pseudonymiser)
    job = _PdfJob(laid_out, language) if "pdf" in formats else None
    out: dict[str, bytes] = {}
    if "pptx" in formats:
        out["pptx"] = to_pptx(laid_out)
    if job is not None:
        out["pdf"] = job.result()
    return out


def filename(pack: pc.Pack, extension: str) -> str:
    """A file name for the pack: the workspace's name made safe, the date, the extension."""
    name = pack.workspace if isinstance(pack.workspace, str) else "anonymised"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_") or "workspace"
    return f"meeting_pack_{safe}_{pack.created.isoformat()}.{extension}"
