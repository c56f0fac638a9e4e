"""A workbook's ruled boxes: what `### Label {.box}` and its prompt become on the page.

In content a box is a level-3 heading with the class `box` (its label) and the one paragraph
after it (its prompt); more classes size it: `small`, `large`, `half` (two halves side by side).
Translators translate the label and the prompt and keep the `{...}` as it is: the rules compare
each heading's attribute list with the source's (checks.structure_of). This tree processor runs
after the content policy, so the elements and attributes it adds are our code's, not content's.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

BOX, HALF = "box", "half"
SIZES = ("small", "large")  # besides the default; style.css gives each its ruled lines


def _classes(el: Element) -> list[str]:
    return (el.get("class") or "").split()


class _Boxes(Treeprocessor):
    def run(self, root: Element) -> None:
        out: list[Element] = []
        box: Element | None = None
        for el in list(root):
            root.remove(el)
            if el.tag == "h3" and BOX in _classes(el):
                box = Element("div", {"class": " ".join(_classes(el))})
                box.text, box.tail = "\n", "\n"
                el.set("class", "box-label")
                box.append(el)
                out.append(box)
                continue
            if box is not None and el.tag == "p" and len(box) == 1:
                el.set("class", " ".join(["box-prompt", *_classes(el)]))
                box.append(el)
                continue
            box = None
            out.append(el)
        for el in out:
            if el.tag == "div" and BOX in _classes(el):
                lines = Element("div", {"class": "box-lines", "aria-hidden": "true"})
                lines.tail = "\n"
                el.append(lines)
        # Consecutive half boxes share a row.
        grouped: list[Element] = []
        for el in out:
            half = el.tag == "div" and HALF in _classes(el)
            last = grouped[-1] if grouped else None
            if half and last is not None and last.get("class") == "box-row" and len(last) < 2:
                last.append(el)
            elif half:
                row = Element("div", {"class": "box-row"})
                row.text, row.tail = "\n", "\n"
                row.append(el)
                grouped.append(row)
            else:
                grouped.append(el)
        root.extend(grouped)


class Boxes(Extension):
    def extendMarkdown(self, md) -> None:
        md.treeprocessors.register(_Boxes(md), "workbook-boxes", -20)  # after the policy (-10)
