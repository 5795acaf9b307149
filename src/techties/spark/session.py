"""The SparkSession techties uses, and the checks that Spark can run at all.

One session per process (Spark's own rule): :func:`session` returns the running one or builds
it for the master URL of the ``spark_master`` setting (``local[*]`` by default; a cluster URL
such as ``spark://host:7077``, ``yarn`` or ``k8s://…`` for real use).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from techties import config
from techties.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_HINT = "pip install 'techties[spark]'"
#: the oldest Java release Spark 4 runs on
MIN_JAVA = 17


def require_pyspark() -> Any:
    """The ``pyspark`` module, or a :class:`ConfigError` saying how to install it."""
    try:
        import pyspark
    except ImportError as exc:
        raise ConfigError(f"The Spark engine needs pyspark: {INSTALL_HINT}") from exc
    return pyspark


def java_version() -> int | None:
    """Major version of the ``java`` on the PATH (None when there is none)."""
    java = shutil.which("java")
    if java is None:
        return None
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def require_java() -> int:
    """The Java major version, or a :class:`ConfigError` when Java 17+ is missing."""
    version = java_version()
    if version is None or version < MIN_JAVA:
        found = "no java on the PATH" if version is None else f"Java {version}"
        raise ConfigError(
            f"Spark needs Java {MIN_JAVA} or newer; found {found}.",
            hint="Install a JRE (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME.",
        )
    return version


def session(
    master: str | None = None, *, shuffle_partitions: int | None = None, **conf: str
) -> SparkSession:
    """The running SparkSession, or a new one on ``master`` (setting ``spark_master``).

    ``shuffle_partitions`` sets ``spark.sql.shuffle.partitions`` (Spark's default, 200, suits
    a cluster; a few per core suit local mode); ``conf`` adds Spark settings (dots written as
    ``__``: ``spark__executor__memory="8g"``).
    """
    require_pyspark()
    require_java()
    from pyspark.sql import SparkSession

    url = config.get("spark_master", master) or "local[*]"
    builder = (
        SparkSession.builder.master(url)
        .appName("techties")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")
    )
    if url.startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
        # local Python workers run this interpreter (techties and its libraries), not the
        # first python3 on the PATH (pyspark reads the variable when the context starts);
        # on a cluster PYSPARK_PYTHON names the executors' interpreter
        os.environ["PYSPARK_PYTHON"] = sys.executable
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(int(shuffle_partitions)))
    for key, value in conf.items():
        builder = builder.config(key.replace("__", "."), value)
    return builder.getOrCreate()
