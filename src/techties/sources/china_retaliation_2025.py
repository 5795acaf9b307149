"""China's retaliation of 4 March 2025 on US farm goods (10 % and 15 % lists), by HS8.

Staged as ``china-10-percent-030425.csv`` / ``china-15-percent-030425.csv`` (trade-war-redux
tracker): no header; columns sequence number, HS8 (a leading zero dropped: ``2071100`` is
0207.11.00), English description. The rate comes from the file name (``-10-percent-`` / ``-15-``).
Rows: imposer CHN, target USA, measure ``retaliation_2025_ag``, in force from 2025-03-10 (open).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources._tariff_common import check_digit_codes, pad_codes, to_table
from techties.sources.base import Source, register
from techties.sources.containers import read_frame

REFERENCE = (
    "Customs Tariff Commission of the State Council announcement [2025] No. 2 (4 Mar 2025), "
    "eff. 2025-03-10"
)
START = "2025-03-10"
_RATE = re.compile(r"-(\d+)-percent-", re.IGNORECASE)


@register
class ChinaRetaliation2025(Source):
    """March 2025 lists of US farm goods with +10 % / +15 % → ``tariff_measures``."""

    name = "china_retaliation_2025"
    table = "tariff_measures"
    title = "China's March 2025 additional tariffs on US farm goods (10 % and 15 % lists)"
    homepage = "https://gss.mof.gov.cn/"
    patterns = ("china-*-percent-*.csv",)

    def version(self, path: Path) -> str | None:
        return "Customs Tariff Commission 2025 No. 2"

    def read(self, path: Path) -> pa.Table:
        m = _RATE.search(path.name)
        if not m:
            raise SourceFormatError(
                path, "the rate is not in the file name",
                expected="a name like china-10-percent-030425.csv",
            )
        df = read_frame(path, dtype_str=True, header=None)
        if df.shape[1] < 2:
            raise SourceFormatError(path, f"{df.shape[1]} column(s)", expected="3 columns")
        codes = pad_codes(df[1], 8)
        check_digit_codes(codes, path, "2", lengths=[8], header_rows=0)
        n = len(df)
        out = pd.DataFrame(
            {
                "dataset": "mofcom_2025",
                "imposer": "CHN",
                "target": "USA",
                "product_code": codes.to_numpy(),
                "vintage": "CN2025",
                "measure": "retaliation_2025_ag",
                "kind": "additional",
                "program": "retaliation",
                "rate_pct": np.full(n, float(m.group(1))),
                "rate_text": f"+{m.group(1)}%",
                "start_date": pd.Timestamp(START),
                "legal_reference": REFERENCE,
                "_row": np.arange(n) + 1,  # no header line
            }
        )
        return to_table(out)
