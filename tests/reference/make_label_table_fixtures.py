"""Write tests/fixtures/label_tables.json: counts from the real label tables, computed with
the Python standard library (csv, gzip, ast) independently of the Rust and polars code.

tests/it/tables.rs runs `raydino-bench tables` on the same tables and checks its
label_tables.json against every number here. The rules restate those of src/tables:

- sex: female and male as coded, and O is other. Blank, CheXpert "Unknown" and PadChest
  "nan" are missing. Anything else is invalid.
- age: blank is missing. The bins are [0, 20), [20, 40), [40, 60), [60, 80) and [80, 120].
  A value that is not a number, negative or above 120 is invalid. PadChest age is the study
  year (first four digits of StudyDate_DICOM) minus PatientBirth.
- patients: a patient counts in every group that contains one of their images.
- findings: CheXpert positive = 1.0 over all images, with 0.0, -1.0 and blank counted
  apart. NIH names are split at "|". PadChest names come from the Python list literal,
  trimmed, with empty names dropped. Rows with a blank or "nan" cell or no name left are
  unlabelled.
- buckets: common above 10%, uncommon from 1% to 10% inclusive, rare below 1%.
- harness split: patient counts per part follow from the patient total alone, because the
  split puts the i-th shuffled patient in train while (i + 0.5) / n < 0.6 and in val while
  it is below 0.6 + 0.2.

Run from the repository root with the real data under ../shared/data (or RAYDINO_DATA):

    .venv/bin/python tests/reference/make_label_table_fixtures.py
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
import math
import os
import platform
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("RAYDINO_DATA", REPO.parent / "shared" / "data")) / "torchxrayvision-metadata"
OUT = REPO / "tests" / "fixtures" / "label_tables.json"

SEX_GROUPS = ["female", "male", "other", "missing", "invalid"]
AGE_GROUPS = ["0-20", "20-40", "40-60", "60-80", "80+", "missing", "invalid"]
CHEXPERT_FINDINGS = [
    "No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Opacity", "Lung Lesion",
    "Edema", "Consolidation", "Pneumonia", "Atelectasis", "Pneumothorax", "Pleural Effusion",
    "Pleural Other", "Fracture", "Support Devices",
]


def rows(name: str):
    with gzip.open(DATA / name, "rt", newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def sex_group(value: str, female: str, male: str, other: str | None, missing: tuple[str, ...]) -> str:
    if value == "" or value in missing:
        return "missing"
    if value == female:
        return "female"
    if value == male:
        return "male"
    if other is not None and value == other:
        return "other"
    return "invalid"


def age_group(age: float | None) -> str:
    if age is None or math.isnan(age) or age < 0 or age > 120:
        return "invalid"
    for start, label in [(80, "80+"), (60, "60-80"), (40, "40-60"), (20, "20-40"), (0, "0-20")]:
        if age >= start:
            return label
    raise AssertionError(age)


def parse_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def bucket(positives: int, labelled: int) -> str:
    if positives * 10 > labelled:
        return "common"
    if positives * 100 < labelled:
        return "rare"
    return "uncommon"


def harness_patients(n: int) -> dict[str, int]:
    parts = {"train": 0, "val": 0, "test": 0}
    for i in range(n):
        position = (i + 0.5) / n
        if position < 0.6:
            parts["train"] += 1
        elif position < 0.6 + 0.2:
            parts["val"] += 1
        else:
            parts["test"] += 1
    return parts


class Cohort:
    """Images with their patient, sex group and age group, counted as src/tables counts them."""

    def __init__(self) -> None:
        self.images: list[tuple[str | None, str, str]] = []

    def add(self, patient: str | None, sex: str, age: str) -> None:
        self.images.append((patient or None, sex, age))

    def groups(self, index: int, order: list[str]) -> tuple[dict[str, list[int]], int]:
        images: dict[str, int] = defaultdict(int)
        patients: dict[str, set[str]] = defaultdict(set)
        groups_of: dict[str, set[str]] = defaultdict(set)
        for image in self.images:
            group = image[index]
            images[group] += 1
            if image[0] is not None:
                patients[group].add(image[0])
                groups_of[image[0]].add(group)
        table = {group: [images[group], len(patients[group])] for group in order}
        several = sum(1 for groups in groups_of.values() if len(groups) > 1)
        return table, several

    def summary(self) -> dict:
        patients = {image[0] for image in self.images if image[0] is not None}
        sex, sex_several = self.groups(1, SEX_GROUPS)
        age, age_several = self.groups(2, AGE_GROUPS)
        return {
            "images": len(self.images),
            "patients": len(patients),
            "images_without_patient": sum(1 for image in self.images if image[0] is None),
            "sex": sex,
            "sex_patients_in_several_groups": sex_several,
            "age": age,
            "age_patients_in_several_groups": age_several,
            "harness_split_patients": harness_patients(len(patients)),
        }


def findings_from_sets(cells: list[set[str] | None], reasons: dict[str, int]) -> dict:
    labelled = [cell for cell in cells if cell]
    positives: dict[str, int] = defaultdict(int)
    for cell in labelled:
        for name in cell:
            positives[name] += 1
    return {
        "labelled_images": len(labelled),
        "unlabelled": reasons,
        "findings": {
            name: {"positives": count, "labelled": len(labelled), "bucket": bucket(count, len(labelled))}
            for name, count in positives.items()
        },
    }


def chexpert() -> dict:
    cohort = Cohort()
    codes = {name: defaultdict(int) for name in CHEXPERT_FINDINGS}
    for row in rows("chexpert_train.csv.gz"):
        patient = next((part for part in row["Path"].split("/") if part.startswith("patient") and len(part) > 7), None)
        sex = sex_group(row["Sex"], "Female", "Male", None, ("Unknown",))
        age = "missing" if row["Age"] == "" else age_group(parse_float(row["Age"]))
        cohort.add(patient, sex, age)
        for name in CHEXPERT_FINDINGS:
            cell = row[name]
            value = parse_float(cell) if cell != "" else None
            code = "blank" if cell == "" else {1.0: "positive", 0.0: "negative", -1.0: "uncertain"}.get(value, "invalid")
            codes[name][code] += 1
    summary = cohort.summary()
    images = summary["images"]
    summary["labelled_images"] = images
    summary["unlabelled"] = {}
    summary["findings"] = {
        name: {
            "positives": counts["positive"],
            "labelled": images,
            "bucket": bucket(counts["positive"], images),
            "negatives": counts["negative"],
            "uncertain": counts["uncertain"],
            "blank": counts["blank"],
            "invalid": counts["invalid"],
        }
        for name, counts in codes.items()
    }
    return summary


def nih() -> tuple[dict, dict]:
    cohort = Cohort()
    cells: list[set[str] | None] = []
    for row in rows("Data_Entry_2017_v2020.csv.gz"):
        sex = sex_group(row["Patient Gender"], "F", "M", None, ())
        age = "missing" if row["Patient Age"] == "" else age_group(parse_float(row["Patient Age"]))
        cohort.add(row["Patient ID"], sex, age)
        text = row["Finding Labels"].strip()
        cells.append({name.strip() for name in text.split("|") if name.strip()} if text else None)
    summary = cohort.summary()
    reasons = {
        "label cell blank": sum(1 for cell in cells if cell is None),
        "label cell not parsable": 0,
        "label list empty after dropping blank entries": sum(1 for cell in cells if cell == set()),
    }
    summary.update(findings_from_sets(cells, reasons))

    parts: dict[str, list] = defaultdict(lambda: [0, set()])
    sets_of: dict[str, set[str]] = defaultdict(set)
    for row in rows("google2019_nih-chest-xray-labels.csv.gz"):
        parts[row["Set Id"]][0] += 1
        parts[row["Set Id"]][1].add(row["Patient ID"])
        sets_of[row["Patient ID"]].add(row["Set Id"])
    expert = {
        "parts": {part: [images, len(patients)] for part, (images, patients) in parts.items()},
        "patients": len(sets_of),
        "leaked_patients": sum(1 for sets in sets_of.values() if len(sets) > 1),
    }
    return summary, expert


def padchest() -> dict:
    cohort = Cohort()
    cells: list[set[str] | None] = []
    blank = unparsable = empty = 0
    for row in rows("PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv.gz"):
        sex = sex_group(row["PatientSex_DICOM"], "F", "M", "O", ("nan",))
        date, birth = row["StudyDate_DICOM"], row["PatientBirth"]
        if date == "" or birth in ("", "nan"):
            age = "missing"
        else:
            date_value, birth_value = parse_float(date), parse_float(birth)
            valid = date_value is not None and birth_value is not None
            age = age_group(date_value // 10000 - birth_value) if valid else "invalid"
        cohort.add(row["PatientID"], sex, age)

        text = row["Labels"].strip()
        if text in ("", "nan"):
            blank += 1
            cells.append(None)
            continue
        try:
            names = {name.strip() for name in ast.literal_eval(text)} - {""}
        except (ValueError, SyntaxError):
            unparsable += 1
            cells.append(None)
            continue
        if not names:
            empty += 1
        cells.append(names)
    summary = cohort.summary()
    reasons = {
        "label cell blank": blank,
        "label cell not parsable": unparsable,
        "label list empty after dropping blank entries": empty,
    }
    summary.update(findings_from_sets(cells, reasons))
    return summary


def main() -> None:
    nih_summary, expert = nih()
    fixture = {
        "source": "tests/reference/make_label_table_fixtures.py with the Python standard library "
        f"(Python {platform.python_version()}) on {DATA.name}",
        "datasets": {"chexpert": chexpert(), "nih": nih_summary, "padchest": padchest()},
        "nih_expert_split": expert,
    }
    OUT.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
