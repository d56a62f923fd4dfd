"""Survey ingest, split by topic (issue 13); this module only re-exports the public names.

- :mod:`kamcore.survey_layout` — wide/long layouts and two-row headers;
- :mod:`kamcore.survey_scales` — the fixed label sets and known-scale detection;
- :mod:`kamcore.survey_headers` — the item dictionary guessed from header text;
- :mod:`kamcore.survey_respondents` — respondent attributes and incomplete responses;
- :mod:`kamcore.survey_model` — the item dictionary model;
- :mod:`kamcore.survey_prepare` — the whole pipeline the survey page uses.

New code imports from those modules; callers written before the split keep working.
"""

from __future__ import annotations

from kamcore.survey_headers import DIMENSION_CODES, KEY_AREAS, SERVQUAL, guess_item_dictionary
from kamcore.survey_layout import (
    TwoRowHeader,
    detect_layout,
    has_two_row_header,
    merge_two_row_header,
    to_wide,
)
from kamcore.survey_model import DICTIONARY_COLUMNS, ROLES, ItemDictionary, ItemRow, Role
from kamcore.survey_respondents import (
    ExclusionReport,
    RespondentAttributes,
    churned_flag,
    exclude_incomplete,
    group_labels,
    respondent_attributes,
    survey_items,
)
from kamcore.survey_scales import (
    KNOWN_SCALES,
    LABEL_SCALES,
    apply_label_mapping,
    detect_scales,
    guess_label_mapping,
    label_scale_size,
    reverse_items,
)

__all__ = [
    "DICTIONARY_COLUMNS",
    "DIMENSION_CODES",
    "KEY_AREAS",
    "KNOWN_SCALES",
    "LABEL_SCALES",
    "ROLES",
    "SERVQUAL",
    "ExclusionReport",
    "ItemDictionary",
    "ItemRow",
    "RespondentAttributes",
    "Role",
    "TwoRowHeader",
    "apply_label_mapping",
    "churned_flag",
    "detect_layout",
    "detect_scales",
    "exclude_incomplete",
    "group_labels",
    "guess_item_dictionary",
    "guess_label_mapping",
    "has_two_row_header",
    "label_scale_size",
    "merge_two_row_header",
    "respondent_attributes",
    "reverse_items",
    "survey_items",
    "to_wide",
]
