"""Collect the user-facing labels an AppTest run shows, to check they came from the catalogue."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

# Elements whose visible text is product copy (never data): it must come from t().
_VALUE_ELEMENTS = ("title", "header", "subheader", "caption", "info", "warning", "error", "success")
_LABEL_ELEMENTS = (
    "button", "selectbox", "multiselect", "slider", "select_slider", "radio", "checkbox", "toggle",
    "text_input", "number_input", "text_area", "date_input", "segmented_control", "pills", "metric",
    "expander", "tabs", "download_button", "file_uploader", "status",
)


def shown_labels(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) for every product-copy text on the page."""
    found: list[tuple[str, str]] = []
    for kind in _VALUE_ELEMENTS:
        for element in getattr(at, kind, []):
            found.append((kind, str(element.value)))
    for kind in _LABEL_ELEMENTS:
        try:
            elements = at.get(kind)
        except Exception:  # noqa: BLE001 - element type not produced by this run
            continue
        for element in elements:
            label = getattr(element, "label", None)
            if label:
                found.append((kind, str(label)))
    return found


def untranslated(at: AppTest) -> list[tuple[str, str]]:
    """Labels that did not pass through the catalogue (the pseudo-locale marks those that did)."""
    return [(kind, text) for kind, text in shown_labels(at) if "⟦" not in text]
