"""The relationship map of one account: our people on the left, theirs on the right.

``account_map(contacts, people, links, account, lang)`` takes the three canonical frames of
``kamcore.relationships`` (raw or prepared) and returns a Plotly figure: one line per link, its
width by strength; their contacts coloured by attitude, with title and buying-centre roles;
our executives marked; contacts who left greyed (their links dotted).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from kamcore import relationships as rel
from ui import charts
from ui.i18n import fmt_date, fmt_num, translate

ATTITUDE_COLORS = {"supporter": "#009E73", "neutral": "#56B4E9", "critic": "#D55E00", None: charts.NEUTRAL}
OURS_COLOR = "#0072B2"
EXECUTIVE_COLOR = "#E69F00"
LEFT_COLOR = "#C8C8C8"
LINK_COLOR = "rgba(0, 114, 178, 0.55)"


def roles_text(roles: tuple[str, ...], lang: str) -> str:
    """Buying-centre roles in words: 'decider, buyer'."""
    return ", ".join(translate(f"relationships.brole_{role}", lang) for role in roles)


def model_label(model: str, lang: str) -> str:
    """'bow-tie' -> 'Bow-tie' (in ``lang``)."""
    return translate(f"relationships.model_{model.replace('-', '_')}", lang)


def risk_label(code: str, lang: str) -> str:
    """A risk code in words."""
    return translate(f"relationships.risk_{code}", lang)


def _positions(n: int) -> list[float]:
    if n <= 1:
        return [0.5] * n
    return [1 - i / (n - 1) for i in range(n)]


def account_map(
    contacts: pd.DataFrame,
    people: pd.DataFrame,
    links: pd.DataFrame,
    account: str,
    lang: str,
    *,
    as_of: dt.date | pd.Timestamp | None = None,
) -> go.Figure:
    """The map of ``account`` as of ``as_of`` (default today) in language ``lang``."""
    as_of_ts = pd.Timestamp(as_of or dt.date.today()).normalize()
    c = rel.prepare_contacts(contacts)
    p = rel.prepare_people(people)
    ln = rel.prepare_links(links)
    c = c[c["account"] == str(account)].sort_values(["contact"]).reset_index(drop=True)
    c["gone"] = c["left_on"].notna() & (c["left_on"] <= as_of_ts)
    c = pd.concat([c[~c["gone"]], c[c["gone"]]], ignore_index=True)  # who left at the bottom
    joined = rel.link_contacts(c.drop(columns=["gone"]), ln) if len(c) else ln.iloc[0:0].assign(account="")
    joined = joined[joined["account"] == str(account)]
    executive = dict(zip(p["person"], p["executive"], strict=True))
    role_of = dict(zip(p["person"], p["role"], strict=True))
    ours = sorted(set(joined["person"]), key=lambda name: (not executive.get(name, False), name))
    y_ours = dict(zip(ours, _positions(len(ours)), strict=True))
    y_theirs = dict(zip(c["contact"], _positions(len(c)), strict=True))
    gone = dict(zip(c["contact"], c["gone"], strict=True))

    fig = go.Figure()
    for row in joined.itertuples(index=False):
        left = gone.get(row.contact, False)
        strength = row.strength if pd.notna(row.strength) else 1
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[y_ours[row.person], y_theirs[row.contact]],
                mode="lines",
                line={
                    "width": 1 + 2 * float(strength),
                    "color": LEFT_COLOR if left else LINK_COLOR,
                    "dash": "dot" if left else "solid",
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
    # link details on the middle of each line
    if len(joined):
        fig.add_trace(
            go.Scatter(
                x=[0.5] * len(joined),
                y=[
                    (y_ours[a] + y_theirs[b]) / 2
                    for a, b in zip(joined["person"], joined["contact"], strict=True)
                ],
                mode="markers",
                marker={"size": 8, "color": "rgba(0,0,0,0)"},
                showlegend=False,
                hovertemplate="%{text}<extra></extra>",
                text=[
                    translate(
                        "relationships.link_hover",
                        lang,
                        person=charts.safe(a),
                        contact=charts.safe(b),
                        strength=fmt_num(s, 0, lang) if pd.notna(s) else "–",
                        last_contact=fmt_date(d, lang) if pd.notna(d) else "–",
                    )
                    for a, b, s, d in zip(
                        joined["person"],
                        joined["contact"],
                        joined["strength"],
                        joined["last_contact"],
                        strict=True,
                    )
                ],
            )
        )
    # our people
    for is_exec, colour, label in (
        (False, OURS_COLOR, "legend_our_person"),
        (True, EXECUTIVE_COLOR, "legend_executive"),
    ):
        names = [name for name in ours if bool(executive.get(name, False)) == is_exec]
        if not names:
            continue
        fig.add_trace(
            go.Scatter(
                x=[0] * len(names),
                y=[y_ours[n] for n in names],
                mode="markers+text",
                marker={
                    "size": 18,
                    "symbol": "square",
                    "color": colour,
                    "line": {"width": 1, "color": "white"},
                },
                text=[
                    f"{charts.safe(n)}<br><span style='font-size:11px'>"
                    f"{charts.safe(_our_role(role_of.get(n), lang))}</span>"
                    for n in names
                ],
                textposition="middle left",
                hoverinfo="skip",
                name=translate(f"relationships.{label}", lang),
            )
        )
    # their contacts, by attitude; who left last
    groups = [(a, False) for a in (*rel.ATTITUDES, None)] + [(None, True)]
    for attitude, left in groups:
        rows = c[c["gone"]] if left else c[~c["gone"] & c["attitude"].map(lambda a, want=attitude: a == want)]
        if rows.empty:
            continue
        label = "legend_left" if left else f"attitude_{attitude or 'unknown'}"
        fig.add_trace(
            go.Scatter(
                x=[1] * len(rows),
                y=[y_theirs[n] for n in rows["contact"]],
                mode="markers+text",
                marker={
                    "size": 18,
                    "color": LEFT_COLOR if left else ATTITUDE_COLORS[attitude],
                    "line": {"width": 1, "color": "white"},
                },
                text=[_contact_text(r, lang, as_of_ts) for r in rows.itertuples(index=False)],
                textposition="middle right",
                hoverinfo="skip",
                textfont={"color": "#9A9A9A"} if left else None,
                name=translate(f"relationships.{label}", lang),
            )
        )
    n_rows = max(len(ours), len(c), 1)
    fig.update_xaxes(visible=False, range=[-1.15, 2.2], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-0.25, 1.25], fixedrange=True)
    fig.add_annotation(
        x=0,
        y=1.18,
        text=translate("relationships.map_ours", lang),
        showarrow=False,
        font={"size": 13, "color": "#555"},
    )
    fig.add_annotation(
        x=1,
        y=1.18,
        text=translate("relationships.map_theirs", lang),
        showarrow=False,
        font={"size": 13, "color": "#555"},
    )
    charts.style(fig, title=translate("relationships.map_title", lang), height=max(340, 70 * n_rows + 170))
    fig.update_layout(legend={"orientation": "h", "y": -0.02, "yanchor": "top"}, margin={"l": 10, "r": 10})
    return fig


def _our_role(role: str | None, lang: str) -> str:
    if role in rel.OUR_ROLES:
        return translate(f"relationships.our_role_{role}", lang)
    return role or ""


def _contact_text(row, lang: str, as_of: pd.Timestamp) -> str:
    title = charts.safe(row.title) if isinstance(row.title, str) and row.title else ""
    first = charts.safe(row.contact) + (f" · {title}" if title else "")
    details = roles_text(row.roles, lang) or translate("relationships.no_role", lang)
    if pd.notna(row.left_on) and row.left_on <= as_of:
        details = translate("relationships.left_on", lang, date=fmt_date(row.left_on, lang)) + " · " + details
    return f"{first}<br><span style='font-size:11px'>{details}</span>"
