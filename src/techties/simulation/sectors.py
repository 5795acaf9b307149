"""Sector names shared by the scenario language and the multi-sector solver."""

#: names accepted for sectors whose official label is misspelt in the source (Eora26)
SECTOR_ALIASES = {"electrical and machinery": "Electrica and Machinery"}
