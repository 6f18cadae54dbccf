"""e-KTP applications: the register, the pipeline from registration to handover."""
