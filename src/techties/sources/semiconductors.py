"""Semiconductor trade: Taiwan customs exports of HS 8542 by destination, Comtrade chip files.

``taiwan_customs``: the ROC Ministry of Finance (Customs Administration) export statistics by
country and 11-digit CCC code, as saved from the trade-statistics portal: CSV, UTF-8 (with BOM),
columns ``Year, Country, HS Code, Description, Export Value (USD)``; ``Country`` is the Chinese
country name (中國大陸 = mainland China, 香港 = Hong Kong …), values in US dollars (not thousands),
exports include re-exports. Rows go to ``trade_flows`` with reporter ``TWN``, flow ``export``,
classification ``CCC`` (Taiwan's 11-digit extension of HS), product level 11, FOB value.

``comtrade_latin1``: UN Comtrade API v2 ("plus") CSV extracts saved in Latin-1 (e.g. the HS 8542
exports to World of every reporter); parsed by the Comtrade reader after decoding.

Both Comtrade readers write their own ``source`` value (``comtrade_latin1``, ``comtrade_legacy``)
so these partner-World extracts never mix with the US-reported ``comtrade`` series in queries
that pick one source.

``comtrade_legacy``: the UN Comtrade legacy (pre-2021 website) CSV layout — ``Classification,
Year, Period, …, Trade Flow, Reporter ISO, Partner ISO, Commodity Code, Trade Value (US$)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources._flows import flows_table
from techties.sources.base import Source, register
from techties.sources.comtrade import HS_VINTAGES, read_comtrade
from techties.sources.containers import (
    map_codes,
    read_frame,
    refuse_duplicate_header,
    require_columns,
    require_no_blanks,
    require_pattern,
    to_number,
    to_year,
)

TAIWAN_COLUMNS = ("Year", "Country", "HS Code", "Description", "Export Value (USD)")
#: Chinese country names in the Taiwan customs statistics → ISO 3166 alpha-3 (``OTH`` = 其他國家,
#: "other countries"; ``ANT`` = the former Netherlands Antilles)
TAIWAN_COUNTRIES: dict[str, str] = dict(
    pair.split("=")
    for pair in """
香港=HKG 中國大陸=CHN 美國=USA 日本=JPN 新加坡=SGP 南韓=KOR 德國=DEU 泰國=THA 菲律賓=PHL
馬來西亞=MYS 巴西=BRA 越南=VNM 印度=IND 以色列=ISR 荷蘭=NLD 印尼=IDN 義大利=ITA 墨西哥=MEX
英國=GBR 法國=FRA 加拿大=CAN 澳大利亞=AUS 波蘭=POL 比利時=BEL 土耳其=TUR 捷克=CZE 瑞士=CHE
奧地利=AUT 瑞典=SWE 俄羅斯=RUS 西班牙=ESP 丹麥=DNK 羅馬尼亞=ROU 芬蘭=FIN 葡萄牙=PRT
阿拉伯聯合大公國=ARE 愛爾蘭=IRL 南非=ZAF 匈牙利=HUN 挪威=NOR 澳門=MAC 保加利亞=BGR 立陶宛=LTU
阿根廷=ARG 紐西蘭=NZL 埃及=EGY 烏克蘭=UKR 斯洛伐克=SVK 希臘=GRC 拉脫維亞=LVA 突尼西亞=TUN
哥倫比亞=COL 斯洛維尼亞=SVN 馬爾他=MLT 孟加拉=BGD 智利=CHL 斯里蘭卡=LKA 沙烏地阿拉伯=SAU
摩洛哥=MAR 愛沙尼亞=EST 哥斯大黎加=CRI 柬埔寨=KHM 開曼群島=CYM 貝里斯=BLZ 塞爾維亞=SRB
白俄羅斯=BLR 波多黎各=PRI 哈薩克=KAZ 其他國家=OTH 模里西斯=MUS 巴基斯坦=PAK 克羅埃西亞=HRV
多明尼加=DOM 阿爾及利亞=DZA 秘魯=PER 斐濟=FJI 肯亞=KEN 薩摩亞=WSM 烏拉圭=URY 黎巴嫩=LBN
緬甸=MMR 帛琉=PLW 冰島=ISL 英屬維京群島=VGB 瓜地馬拉=GTM 約旦=JOR 伊朗=IRN 賴索托=LSO
盧森堡=LUX 薩爾瓦多=SLV 摩爾多瓦=MDA 委內瑞拉=VEN 喀麥隆=CMR 納米比亞=NAM 宏都拉斯=HND
卡達=QAT 尼泊爾=NPL 蒙古=MNG 科威特=KWT 史瓦帝尼=SWZ 厄瓜多=ECU 北馬其頓=MKD 奈及利亞=NGA
塞席爾=SYC 喬治亞=GEO 亞美尼亞=ARM 巴拉圭=PRY 馬紹爾群島=MHL 賽普勒斯=CYP 紐喀里多尼亞=NCL
海地=HTI 汶萊=BRN 巴拿馬=PAN 尼加拉瓜=NIC 阿曼=OMN 關島=GUM 馬爾地夫=MDV 烏茲別克=UZB
巴布亞紐幾內亞=PNG 烏干達=UGA 波士尼亞及赫塞哥維納=BIH 巴林=BHR 吉爾吉斯=KGZ 利比亞=LBY
迦納=GHA 辛巴威=ZWE 聖文森及格瑞納丁=VCT 幾內亞=GIN 亞塞拜然=AZE 聖克里斯多福=KNA 古巴=CUB
玻利維亞=BOL 牙買加=JAM 安哥拉=AGO 坦尚尼亞=TZA 剛果民主共和國=COD 葉門=YEM 莫三比克=MOZ
多哥=TGO 千里達及托巴哥=TTO 伊拉克=IRQ 馬達加斯加=MDG 馬拉威=MWI 蘇利南=SUR 獅子山=SLE
摩納哥=MCO 塞內加爾=SEN 馬利=MLI 阿富汗=AFG 賴比瑞亞=LBR 象牙海岸=CIV 衣索比亞=ETH 蘇丹=SDN
葛摩聯盟=COM 聖多美普林西比=STP 美屬維京群島=VIR 索羅門群島=SLB 科索沃=XKX 東加=TON
托克勞=TKL 尚比亞=ZMB 寮國=LAO 安道爾=AND 安地卡及巴布達=ATG 安圭拉=AIA 南極洲=ATA 剛果=COG
蓋亞那=GUY 蒙瑟拉特=MSR 蒙特內哥羅=MNE 萬那杜=VUT 荷屬安地列斯=ANT 茅利塔尼亞=MRT
聖赫勒拿及阿森松及特斯坦達庫尼亞=SHN 美屬薩摩亞=ASM 索馬利亞=SOM 盧安達=RWA 百慕達=BMU
留尼旺=REU 瓜德魯普=GLP 法屬玻里尼西亞=PYF 格瑞那達=GRD 格恩西=GGY 東帝汶=TLS 敘利亞=SYR
庫克群島=COK 布吉納法索=BFA 巴哈馬=BHS 密克羅尼西亞=FSM 多米尼克=DMA 塔吉克=TJK 吐瓦魯=TUV
吉布地=DJI 可可斯基林群島=CCK 厄利垂亞=ERI 北韓=PRK 加彭=GAB 列支敦斯登=LIE 中非=CAF
""".split()  # noqa: SIM905  (one readable table of name=code pairs)
)
LEGACY_COLUMNS = (
    "Classification",
    "Year",
    "Trade Flow",
    "Reporter ISO",
    "Partner ISO",
    "Commodity Code",
    "Trade Value (US$)",
)
LEGACY_FLOWS = {
    "Import": "import",
    "Export": "export",
    "Re-export": "re-export",
    "Re-import": "re-import",
    "Re-Export": "re-export",
    "Re-Import": "re-import",
}


def _years(s: pd.Series, path: Path, column: str) -> np.ndarray:
    return to_year(s, path, column, first=1950, last=2100, expected="a four-digit year")


def read_taiwan(path: Path) -> pa.Table:
    """Taiwan customs exports by destination and CCC code → ``trade_flows`` rows (USD)."""
    df = read_frame(path, dtype_str=True)
    require_columns(df, TAIWAN_COLUMNS, path, what="Taiwan customs export-by-country")
    if df.empty:
        raise SourceFormatError(path, "no data rows", expected="one row per year, country, code")
    years = _years(df["Year"], path, "Year")
    partner = map_codes(
        df["Country"], TAIWAN_COUNTRIES, path, "Country",
        expected="a country name as printed by Taiwan customs (Traditional Chinese)",
        hint="Add the name to techties.sources.semiconductors.TAIWAN_COUNTRIES.",
    )  # fmt: skip
    require_no_blanks(df["HS Code"], path, "HS Code")
    code = require_pattern(
        df["HS Code"].astype("string").str.strip(), r"\d{11}", path, "HS Code", label="code",
        kind="an 11-digit CCC code", expected="11 digits, e.g. 85423100002",
    )  # fmt: skip
    value = to_number(df["Export Value (USD)"], path, "Export Value (USD)", allow_missing=False)
    if (value < 0).any():
        i = int(np.argmax(value < 0))
        raise SourceFormatError(
            path, f"negative export value {value[i]}", row=i + 2, column="Export Value (USD)",
            expected="a value in US dollars ≥ 0",
        )  # fmt: skip
    return flows_table(
        len(df), row=np.arange(len(df)) + 2, source="taiwan_customs", reporter="TWN", partner=partner, flow="export",
        year=years, month=None, classification="CCC", vintage=None, product_code=code,
        product_level=11, value_usd=value, quantity=None, quantity_unit=None, duties_usd=None,
        value_basis="FOB",
    )  # fmt: skip


@register
class TaiwanCustoms(Source):
    """Taiwan (ROC) customs exports by destination and 11-digit CCC code, annual, USD."""

    name = "taiwan_customs"
    table = "trade_flows"
    title = "Taiwan customs exports by country and CCC code (ROC Ministry of Finance)"
    homepage = "https://portal.sw.nat.gov.tw/APGA/GA30E"
    patterns = ("taiwan_exports_by_country*.csv",)

    def read(self, path: Path) -> pa.Table:
        return read_taiwan(path)

    def version(self, path: Path) -> str | None:
        return "ROC MOF customs statistics (CCC 11-digit)"


@register
class ComtradeLatin1(Source):
    """UN Comtrade API v2 CSV extracts saved in Latin-1 (e.g. HS 8542 exports to World)."""

    name = "comtrade_latin1"
    table = "trade_flows"
    title = "UN Comtrade (API v2 CSV, Latin-1)"
    homepage = "https://comtradeplus.un.org/"
    patterns = ("ic_exports_world_*.csv",)

    def read(self, path: Path) -> pa.Table:
        refuse_duplicate_header(path, encoding="latin-1")  # pandas would rename "v" to "v.1"
        try:
            df = pd.read_csv(path, encoding="latin-1", index_col=False, low_memory=False)
        except (ValueError, pd.errors.ParserError) as exc:
            raise SourceFormatError(
                path, f"cannot read as CSV: {exc}", expected="a UN Comtrade API v2 CSV"
            ) from exc
        return read_comtrade(path, df, self.name, 1)


def read_legacy(path: Path) -> pa.Table:
    """UN Comtrade legacy-website CSV → ``trade_flows`` (partner World as ``WLD``)."""
    df = read_frame(path, dtype_str=True)
    require_columns(df, LEGACY_COLUMNS, path, what="UN Comtrade legacy CSV")
    years = _years(df["Year"], path, "Year")
    flow = map_codes(
        df["Trade Flow"],
        LEGACY_FLOWS,
        path,
        "Trade Flow",
        expected="Import/Export/Re-export/Re-import",
    )
    vintage = map_codes(
        df["Classification"], HS_VINTAGES, path, "Classification", expected="H0 … H6"
    )
    # Comtrade leaves the ISO code of "Other Asia, nes" (code 490, i.e. Taiwan) blank: S19
    reporter = df["Reporter ISO"].fillna("").str.strip()
    code490 = df.get("Reporter Code", pd.Series("", index=df.index)).fillna("").str.strip() == "490"
    reporter = reporter.where((reporter != "") | ~code490, "S19")
    for col, s in (("Reporter ISO", reporter), ("Partner ISO", df["Partner ISO"]),
                   ("Commodity Code", df["Commodity Code"])):  # fmt: skip
        require_no_blanks(s, path, col)
    code = df["Commodity Code"].astype("string").str.strip()
    value = to_number(df["Trade Value (US$)"], path, "Trade Value (US$)", allow_missing=False)
    basis = np.where(flow.isin(["import", "re-import"]).to_numpy(), "CIF", "FOB")
    return flows_table(
        len(df), row=np.arange(len(df)) + 2, source="comtrade_legacy", reporter=reporter.str.strip(),
        partner=df["Partner ISO"].str.strip(), flow=flow, year=years, month=None,
        classification="HS", vintage=vintage, product_code=code,
        product_level=code.str.len().astype("int64").to_numpy(), value_usd=value, quantity=None,
        quantity_unit=None, duties_usd=None, value_basis=pd.Series(basis),
    )  # fmt: skip


@register
class ComtradeLegacy(Source):
    """UN Comtrade legacy-website CSV downloads (``Trade Value (US$)`` layout)."""

    name = "comtrade_legacy"
    table = "trade_flows"
    title = "UN Comtrade (legacy website CSV)"
    homepage = "https://comtradeplus.un.org/"
    patterns = ("comtrade *.csv",)

    def read(self, path: Path) -> pa.Table:
        return read_legacy(path)
