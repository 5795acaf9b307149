"""techties on Apache Spark: the same indicators, ingest and parallel jobs on a Spark cluster.

An optional extra (``pip install 'techties[spark]'``); nothing here is imported unless the
Spark engine is chosen (``--engine spark`` or ``TECHTIES_ENGINE=spark``, :mod:`techties.config`).

- :mod:`techties.spark.session` — the one SparkSession (master URL: setting ``spark_master``);
- :mod:`techties.spark.sql` — the store's DuckDB SQL transpiled to Spark SQL with sqlglot;
- :mod:`techties.spark.store` — :class:`~techties.spark.store.SparkStore`, a store whose trade
  tables are Parquet read by Spark, so the indicator functions run unchanged on Spark;
- :mod:`techties.spark.ingest` — BACI CSV files to Parquet partitioned by year and reporter,
  checked by the store's rules (transpiled);
- :mod:`techties.spark.jobs` — product-by-product PPML fits and Monte Carlo draws as Spark tasks.
"""
