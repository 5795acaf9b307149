"""The one SparkSession of a test process, for every ``test_spark_*`` module.

Importing this module skips the importing test module when pyspark or Java 17+ is missing.
Test modules take the fixture with ``from spark_helpers import spark  # noqa: F401``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java", allow_module_level=True)

from techties.spark.session import java_version

if (java_version() or 0) < 17:
    pytest.skip("Spark needs Java 17+", allow_module_level=True)

#: two cores; every task is tried twice (local[N, maxFailures]), so a killed worker is retried
MASTER = "local[2,2]"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from techties.spark.session import session

    yield session(MASTER, shuffle_partitions=4)
