"""techties: evidence and simulation engine for US–China technology and trade ties."""

__version__ = "0.1.0"
