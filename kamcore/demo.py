"""Build the bundled demo workspace from the files in ``data/demo/``.

The demo files are in Norwegian export format (``;``, decimal comma, ``dd.mm.yyyy``,
UTF-8 with BOM); they go through the same public ingest as a user's upload, and the
mappings below are what the mapping step would confirm for them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from kamcore.db import DbSettings, Workspace
from kamcore.schemas import ColumnMapping, TableKind
from kamcore.segment_inputs import FEATURES_KIND

DEMO_NAME = "demo"

#: table name -> (file, kind, role mapping)
DEMO_TABLES: dict[str, tuple[str, TableKind, dict[str, str]]] = {
    "transactions": (
        "transactions.csv",
        TableKind.transactions,
        {
            "customer_id": "Kundenr",
            "customer_name": "Kundenavn",
            "date": "Fakturadato",
            "order_id": "Ordrenr",
            "product": "Produktgruppe",
            "revenue": "Omsetning",
            "cost": "Kostnad",
            "quantity": "Antall",
            "region": "Region",
            "industry": "Bransje",
            "owner": "Selger",
        },
    ),
    "customers": (
        "customers.csv",
        TableKind.accounts,
        {
            "customer_id": "Kundenr",
            "customer_name": "Kundenavn",
            "region": "Region",
            "industry": "Bransje",
            "owner": "Selger",
            "status": "Status",
            "customer_since": "Kunde siden",
        },
    ),
    "survey_keyareas": ("survey_keyareas.csv", TableKind.survey, {"customer_id": "Kundenr"}),
    "survey_dealer": ("survey_dealer.csv", TableKind.survey, {}),
    # the buying centre at the 20 largest accounts (a CRM contact export; see kamcore.relationships)
    "contacts": (
        "contacts.csv",
        TableKind.contacts,
        {
            "account": "Kundenr",
            "contact": "Kontaktperson",
            "title": "Stilling",
            "department": "Avdeling",
            "roles": "Roller i kjøpssenter",
            "influence": "Innflytelse",
            "attitude": "Holdning",
            "last_contact": "Sist kontaktet",
            "left_on": "Sluttet",
        },
    ),
    "our_people": (
        "our_people.csv",
        TableKind.people,
        {"person": "Medarbeider", "role": "Rolle", "executive": "Ledergruppe"},
    ),
    "contact_links": (
        "contact_links.csv",
        TableKind.links,
        {
            "account": "Kundenr",
            "person": "Vår person",
            "contact": "Kontaktperson",
            "strength": "Styrke",
            "last_contact": "Sist kontakt",
        },
    ),
}


#: Features the Segments page starts from for a demo table (``kamcore.segment_inputs``): case B
#: of the primer published its K-means segments on Q6–Q10 of the dealer survey.
DEMO_SEGMENT_FEATURES: dict[str, list[str]] = {"survey_dealer": ["Q6", "Q7", "Q8", "Q9", "Q10"]}


def build_demo_workspace(path: str | Path, data_dir: str | Path, settings: DbSettings | None = None) -> Path:
    """Create the demo workspace at ``path`` from ``data_dir`` (replacing any file there).

    Written to a temporary file first and moved into place, so a session that opens the
    demo while another builds it never sees half a workspace.
    """
    from kamcore.ingest import load_file

    path = Path(path)
    data_dir = Path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(suffix=".duckdb", dir=path.parent, prefix=".building-")
    os.close(handle)
    os.unlink(temp_name)
    try:
        with Workspace.open(temp_name, settings) as ws:
            for table_name, (file_name, kind, roles) in DEMO_TABLES.items():
                parsed = load_file(data_dir / file_name).tables[0]
                ws.import_table(
                    table_name,
                    parsed.data,
                    kind=kind,
                    mapping=ColumnMapping(roles=roles),
                    quality=parsed.quality.model_dump(mode="json"),
                )
            for table_name, features in DEMO_SEGMENT_FEATURES.items():
                ws.save_object(FEATURES_KIND, table_name, {"features": features}, user="demo")
            ws.set_meta("description", "demo")
            ws.checkpoint()
        os.replace(temp_name, path)
    finally:
        for leftover in (Path(temp_name), Path(temp_name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return path
