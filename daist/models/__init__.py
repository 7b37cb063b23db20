"""Data and its (de)serialization. Every artifact class lives here so that any file in a results
directory can be loaded by the classname in its file name."""
