"""The campaign's plain data and arithmetic: units and their tree, weeks, the ledger's
fold, progress, messages, and the views the wording reads."""
