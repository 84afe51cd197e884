"""`python -m workbench.safety.labelled`: regenerate the shipped training and held-out files."""

from workbench.atomic import write_jsonl
from workbench.safety.labelled import HELDOUT_FILE, TRAIN_FILE, heldout, train

if __name__ == "__main__":
    for path, rows in ((TRAIN_FILE, train.generate()), (HELDOUT_FILE, heldout.generate())):
        write_jsonl(path, rows)
        print(f"{path}: {len(rows)} rows")
