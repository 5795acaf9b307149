"""Country code tables: US Census Schedule C codes and Census country names → ISO 3166 alpha-3.

``CENSUS_TO_ISO3`` is written from the Census Bureau's *Schedule C, Classification of Country and
Territory Designations for U.S. Foreign Trade Statistics* (https://www.census.gov/foreign-trade/
schedules/c/countrycode.html). Schedule C codes are four digits; the first digit is the region
(1 North America, 2 Central America & Caribbean, 3 South America, 4 Europe, 5 Asia, 6 Oceania,
7 Africa). Census *grouping* codes (e.g. ``0003`` European Union) map to group codes that are not
ISO 3166 (``EUN``, ``USMCA`` …); ``WLD`` stands for the world total.

Schedule C combines a few territories with their sovereign: 4099 Denmark excludes Greenland (1010)
and the Faroe Islands (4091); 4419 Switzerland and 4411 Liechtenstein are separate; 5082/5083
(Gaza Strip / West Bank) both map to ``PSE``.
"""

from __future__ import annotations

from typing import Final

#: Census grouping codes (not countries).
CENSUS_GROUPS: Final[dict[str, str]] = {
    "-": "WLD",
    "0000": "WLD",
    "0003": "EUN",  # European Union
    "0020": "USMCA",  # USMCA (NAFTA) with Canada and Mexico
}

_SCHEDULE_C = """
1000 USA|1010 GRL|1220 CAN|1610 SPM|2010 MEX|2050 GTM|2080 BLZ|2110 SLV|2150 HND|2190 NIC
2230 CRI|2250 PAN|2320 BMU|2360 BHS|2390 CUB|2410 JAM|2430 TCA|2440 CYM|2450 HTI|2470 DOM
2481 AIA|2482 VGB|2483 KNA|2484 ATG|2485 MSR|2486 DMA|2487 LCA|2488 VCT|2489 GRD|2720 BRB
2740 TTO|2774 SXM|2777 CUW|2779 ABW|2831 GLP|2839 MTQ|3010 COL|3070 VEN|3120 GUY|3150 SUR
3170 GUF|3310 ECU|3330 PER|3350 BOL|3370 CHL|3510 BRA|3530 PRY|3550 URY|3570 ARG|3720 FLK
4000 ISL|4010 SWE|4031 SJM|4039 NOR|4050 FIN|4091 FRO|4099 DNK|4120 GBR|4190 IRL|4210 NLD
4231 BEL|4239 LUX|4271 AND|4272 MCO|4279 FRA|4280 DEU|4330 AUT|4351 CZE|4359 SVK|4370 HUN
4411 LIE|4419 CHE|4470 EST|4490 LVA|4510 LTU|4550 POL|4621 RUS|4622 BLR|4623 UKR|4631 ARM
4632 AZE|4633 GEO|4634 KAZ|4635 KGZ|4641 MDA|4642 TJK|4643 TKM|4644 UZB|4700 ESP|4710 PRT
4720 GIB|4730 MLT|4751 SMR|4752 VAT|4759 ITA|4791 HRV|4792 SVN|4793 BIH|4794 MKD|4801 SRB
4803 XKX|4804 MNE|4810 ALB|4840 GRC|4850 ROU|4870 BGR|4890 TUR|4910 CYP|5020 SYR|5040 LBN
5050 IRQ|5070 IRN|5081 ISR|5082 PSE|5083 PSE|5110 JOR|5130 KWT|5170 SAU|5180 QAT|5200 ARE
5210 YEM|5230 OMN|5250 BHR|5310 AFG|5330 IND|5350 PAK|5360 NPL|5380 BGD|5420 LKA|5460 MMR
5490 THA|5520 VNM|5530 LAO|5550 KHM|5570 MYS|5590 SGP|5600 IDN|5601 TLS|5610 BRN|5650 PHL
5660 MAC|5682 BTN|5683 MDV|5700 CHN|5740 MNG|5790 PRK|5800 KOR|5820 HKG|5830 TWN|5880 JPN
6021 AUS|6022 NFK|6023 CCK|6024 CXR|6029 HMD|6040 PNG|6141 NZL|6142 COK|6143 TKL|6144 NIU
6150 WSM|6223 SLB|6224 VUT|6225 PCN|6226 KIR|6227 TUV|6412 NCL|6413 WLF|6414 PYF|6810 MHL
6820 FSM|6830 PLW|6862 NRU|6863 FJI|6864 TON|7140 MAR|7210 DZA|7230 TUN|7250 LBY|7290 EGY
7321 SDN|7323 SSD|7380 GNQ|7410 MRT|7420 CMR|7440 SEN|7450 MLI|7460 GIN|7470 SLE|7480 CIV
7490 GHA|7500 GMB|7510 NER|7520 TGO|7530 NGA|7540 CAF|7550 GAB|7560 TCD|7580 SHN|7600 BFA
7610 BEN|7620 AGO|7630 COG|7642 GNB|7643 CPV|7644 STP|7650 LBR|7660 COD|7670 BDI|7690 RWA
7700 SOM|7741 ERI|7749 ETH|7770 DJI|7780 UGA|7790 KEN|7800 SYC|7810 IOT|7830 TZA|7850 MUS
7870 MOZ|7880 MDG|7881 MYT|7890 COM|7904 REU|7905 ATF|7910 ZAF|7920 NAM|7930 BWA|7940 ZMB
7950 SWZ|7960 ZWE|7970 MWI|7990 LSO
"""


def _parse_pairs(text: str) -> dict[str, str]:
    """``"1000 USA|1010 GRL"`` → ``{"1000": "USA", "1010": "GRL"}``."""
    pairs = (item.split() for item in text.replace("\n", "|").split("|") if item.strip())
    return {code: iso3 for code, iso3 in pairs}


#: Census Schedule C country code → ISO3 (countries and territories only).
CENSUS_COUNTRIES: Final[dict[str, str]] = _parse_pairs(_SCHEDULE_C)

#: Everything a CTY_CODE may hold: countries plus groups.
CENSUS_TO_ISO3: Final[dict[str, str]] = {**CENSUS_COUNTRIES, **CENSUS_GROUPS}

#: Census CTY_NAME spellings (as the trade API writes them) → ISO3 or group code.
CENSUS_NAMES: Final[dict[str, str]] = {
    "TOTAL FOR ALL COUNTRIES": "WLD",
    "EUROPEAN UNION": "EUN",
    "USMCA (NAFTA)": "USMCA",
    "AUSTRALIA": "AUS",
    "AUSTRIA": "AUT",
    "BELGIUM": "BEL",
    "BRAZIL": "BRA",
    "CANADA": "CAN",
    "CHILE": "CHL",
    "CHINA": "CHN",
    "COLOMBIA": "COL",
    "FRANCE": "FRA",
    "GERMANY": "DEU",
    "HONG KONG": "HKG",
    "INDIA": "IND",
    "INDONESIA": "IDN",
    "IRELAND": "IRL",
    "ISRAEL": "ISR",
    "ITALY": "ITA",
    "JAPAN": "JPN",
    "KOREA SOUTH": "KOR",
    "KOREA, SOUTH": "KOR",
    "MALAYSIA": "MYS",
    "MEXICO": "MEX",
    "NETHERLANDS": "NLD",
    "PHILIPPINES": "PHL",
    "RUSSIA": "RUS",
    "SAUDI ARABIA": "SAU",
    "SINGAPORE": "SGP",
    "SPAIN": "ESP",
    "SWEDEN": "SWE",
    "SWITZERLAND": "CHE",
    "TAIWAN": "TWN",
    "THAILAND": "THA",
    "TURKEY": "TUR",
    "UNITED KINGDOM": "GBR",
    "VENEZUELA": "VEN",
    "VIETNAM": "VNM",
}

__all__ = ["CENSUS_COUNTRIES", "CENSUS_GROUPS", "CENSUS_NAMES", "CENSUS_TO_ISO3"]
