"""`python -m workbench.safety.labelled`: regenerate the shipped training, held-out, validation, calibration and
second template held-out files."""

from workbench.atomic import write_jsonl
from workbench.safety.labelled import (CALIBRATION_FILE, HELDOUT_FILE, HELDOUT_TEMPLATE2_FILE, TRAIN_FILE,
                                       VALIDATION_FILE, calibration, heldout, heldout2, train, validation)

if __name__ == "__main__":
    for path, rows in ((TRAIN_FILE, train.generate()), (HELDOUT_FILE, heldout.generate()),
                       (VALIDATION_FILE, validation.generate()), (CALIBRATION_FILE, calibration.generate()),
                       (HELDOUT_TEMPLATE2_FILE, heldout2.generate())):
        write_jsonl(path, rows)
        print(f"{path}: {len(rows)} rows")
