"""Studio: a local-first ML studio inside JupyterLab."""
