#!/usr/bin/env python3
"""Search folds as docs/EDITORS.md says, and text is cut by characters.

  - `search` finds ё with е (and back), ї with і, ґ with г, ў with у,
    one apostrophe with another, a letter stored in two parts, and a word
    with a stress mark: client/text.c's one folding, which the desk's
    search uses too;
  - `list` cuts a summary by characters (sixty Cyrillic letters, not
    thirty) and shows a line break as a space, never as \\x0a;
  - `report` cuts its labels by characters, and its SVG chart cuts long
    labels and clips them short of the bars, in well-formed UTF-8 XML.
"""
import os
import re
import sys
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import drop_box, new_vault  # noqa: E402
from srv_lib import Checks, cleanup, tmpdir  # noqa: E402

check = Checks()
LONG_PLACE = "Исправительная колония строгого режима номер шесть, Копейск, Челябинская область"
MESSAGES = [
    ("ЕЛКА стояла в камере\nвторая строка письма", ("place=" + LONG_PLACE,)),
    ("Я" * 100, ("place=СИЗО-1",)),
    ("Мы были в КИЇВІ, п’ять днів, ҐРАТИ", ()),
    ("Праўда: за\u0301мок и\u0306 е\u0308ж", ()),
]


def main():
    root = tmpdir("vault-text")
    try:
        org, bundle = drop_box(root, ("alice",), MESSAGES)
        v = new_vault(os.path.join(root, "vault"), org, ("alice",))
        v("import", bundle)

        def rows(out):
            return [ln for ln in out.splitlines() if re.match(r"\s*\d+\s+\d{4}-\d\d-\d\d\s", ln)]

        def finds(query, want):
            """`want`: the indexes in MESSAGES of what the search must find."""
            p = v("search", query, ok=None)
            got = sorted(i for i, (m, _) in enumerate(MESSAGES) for ln in rows(p.stdout) if m[:4] in ln)
            check(got == want, f"search {query!r} finds {want}: {got} {p.stderr}")

        finds("ёлка", [0])
        finds("Елка", [0])
        finds("київі", [2])
        finds("києві", [])  # є is not е
        finds("КИІВІ", [2])
        finds("п'ять", [2])
        finds("грати", [2])
        finds("правда", [])
        finds("прауда", [3])
        finds("замок", [3])
        finds("й ёж", [3])

        p = v("list")
        line1 = next(ln for ln in rows(p.stdout) if "ЕЛКА" in ln)
        check("\\x0a" not in p.stdout and "камере вторая" in line1, f"a line break is a space in list: {line1}")
        line2 = next(ln for ln in rows(p.stdout) if "ЯЯЯ" in ln)
        check(line2.count("Я") == 60 and line2.endswith("..."), f"summaries are cut by characters: {line2}")

        svg = os.path.join(root, "report.svg")
        p = v("report", "--svg", svg)
        row = next((ln for ln in p.stdout.splitlines() if "Исправительная" in ln), "")
        check(LONG_PLACE[:24] + "..." in row and LONG_PLACE[:25] not in row,
              f"report labels are cut by characters: {row}")
        raw = open(svg, "rb").read()
        text = raw.decode("utf-8")  # raises on a broken sequence
        doc = xml.dom.minidom.parseString(raw)
        labels = [t for t in doc.getElementsByTagName("text") if t.getAttribute("clip-path")]
        values = ["".join(n.data for n in t.childNodes if n.nodeType == n.TEXT_NODE) for t in labels]
        check(any(val.startswith("Исправительная") for val in values), f"the long place is a label: {values}")
        check(all(len(val) <= 27 for val in values) and any(val.endswith("\u2026") for val in values),
              f"long labels are cut by characters: {values}")
        clip = doc.getElementsByTagName("clipPath")
        width = float(clip[0].getElementsByTagName("rect")[0].getAttribute("width")) if clip else 1e9
        bars = [float(r.getAttribute("x")) for r in doc.getElementsByTagName("rect") if r.getAttribute("fill") ==
                "#2a6f97"]
        check(clip and all(t.getAttribute("clip-path") == "url(#labels)" for t in labels) and
              bars and width < min(bars), f"labels are clipped short of the bars: {width} {bars[:1]}")
        check("\ufffd" not in text, "no broken character in the chart")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
