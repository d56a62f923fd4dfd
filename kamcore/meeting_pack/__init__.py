"""The meeting pack's content: the story of a workspace as slides (findings, chart inputs, tables).

``kamcore.meeting_pack.content.build(...)`` reads a workspace's canonical tables and computes every
number with the same kamcore functions the pages use; it returns a ``Pack`` whose texts are
catalogue keys with typed parameters (numbers, shares, dates, user text), so the same pack renders
in any language. Rendering (charts to PNG, PPTX, PDF) lives in ``ui/pack_render.py``, which owns
the figure builders and the catalogue. No Streamlit here.
"""

from kamcore.meeting_pack.sections import SECTIONS

__all__ = ["SECTIONS"]
