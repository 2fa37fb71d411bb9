"""The retraining loop: triggers (`triggers`), training data assembled from the decision
log and the parent's training file (`data`, `sources`), candidates and the champion
comparison (`compare`), and the runs that tie them together (`service`)."""
