//! Empty without `--cfg shmkern_loom`; the models live in `tests/`.
