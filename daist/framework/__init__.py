"""How a run happens: venv bootstrap, settings, session lifecycle, logging, the unittest program."""
