"""Vocabulary for simulated postings: role families, companies, and description sentences."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    title: str
    keywords: tuple[str, ...]  # words a search for this role may use
    base_pay: int  # US dollars per year, mid-level
    hourly: bool  # usually paid by the hour
    function: str  # LinkedIn "Job function"
    industry: str  # LinkedIn "Industries"
    duties: tuple[str, ...]
    skills: tuple[str, ...]
    german: str = ""  # the title a German posting would use


TECH_DUTIES = (
    "Design, build and operate services that handle millions of requests a day",
    "Review code and mentor engineers across the team",
    "Own features end to end, from the first sketch to production monitoring",
    "Work with product and design to shape the roadmap",
    "Improve reliability, observability and performance of our platform",
    "Write clear technical documents and share what you learn",
    "Take part in a humane on-call rotation",
    "Automate the boring parts of our delivery pipeline",
)

ROLES: tuple[Role, ...] = (
    Role(
        "Software Engineer",
        ("software", "engineer", "developer", "backend", "programmer", "swe"),
        135_000,
        False,
        "Engineering and Information Technology",
        "Software Development",
        TECH_DUTIES,
        ("Python", "Go", "Java", "PostgreSQL", "Kubernetes", "AWS", "distributed systems"),
        german="Softwareentwickler",
    ),
    Role(
        "Backend Developer",
        ("backend", "developer", "software", "engineer", "api"),
        125_000,
        False,
        "Engineering and Information Technology",
        "Software Development",
        TECH_DUTIES,
        ("Python", "Django", "Node.js", "REST", "PostgreSQL", "Redis", "Docker"),
        german="Backend-Entwickler",
    ),
    Role(
        "Frontend Engineer",
        ("frontend", "front", "end", "engineer", "developer", "react", "software"),
        120_000,
        False,
        "Engineering and Information Technology",
        "Technology, Information and Internet",
        TECH_DUTIES,
        ("TypeScript", "React", "CSS", "accessibility", "web performance", "GraphQL"),
        german="Frontend-Entwickler",
    ),
    Role(
        "Data Scientist",
        ("data", "scientist", "science", "machine", "learning", "analytics", "ml"),
        140_000,
        False,
        "Research, Analyst, and Information Technology",
        "IT Services and IT Consulting",
        (
            "Build statistical models that drive pricing and forecasting",
            "Design and analyse experiments with product teams",
            "Turn messy data into clear recommendations",
            "Ship models to production with our ML engineers",
            "Present findings to leadership in plain language",
        ),
        ("Python", "SQL", "pandas", "scikit-learn", "statistics", "A/B testing"),
        german="Data Scientist",
    ),
    Role(
        "Data Engineer",
        ("data", "engineer", "etl", "pipeline", "software", "analytics"),
        130_000,
        False,
        "Engineering and Information Technology",
        "Software Development",
        (
            "Build and run batch and streaming pipelines",
            "Model data for analysts and data scientists",
            "Keep data quality high with tests and monitoring",
            "Tune warehouse costs and query performance",
        ),
        ("SQL", "Spark", "Airflow", "dbt", "Kafka", "Python", "Snowflake"),
        german="Data Engineer",
    ),
    Role(
        "DevOps Engineer",
        ("devops", "engineer", "sre", "cloud", "infrastructure", "platform", "site", "reliability"),
        130_000,
        False,
        "Engineering and Information Technology",
        "IT Services and IT Consulting",
        (
            "Run our Kubernetes clusters and the tooling around them",
            "Own infrastructure as code across three cloud regions",
            "Drive incident response and blameless postmortems",
            "Make deployments boring, fast and safe",
        ),
        ("Terraform", "Kubernetes", "Linux", "AWS", "Prometheus", "CI/CD"),
        german="DevOps Engineer",
    ),
    Role(
        "Product Manager",
        ("product", "manager", "pm", "owner"),
        145_000,
        False,
        "Product Management",
        "Technology, Information and Internet",
        (
            "Own the roadmap for one of our core product areas",
            "Talk to customers every week and bring their problems to the team",
            "Write crisp specs and define success metrics",
            "Prioritise ruthlessly with engineering and design",
        ),
        ("discovery", "roadmapping", "analytics", "stakeholder management", "SQL"),
        german="Produktmanager",
    ),
    Role(
        "UX Designer",
        ("ux", "designer", "design", "ui", "product"),
        110_000,
        False,
        "Design",
        "Design Services",
        (
            "Design flows from research to high-fidelity prototypes",
            "Run usability studies and synthesise insights",
            "Contribute to and extend our design system",
        ),
        ("Figma", "user research", "prototyping", "interaction design"),
        german="UX Designer",
    ),
    Role(
        "Registered Nurse",
        ("nurse", "nursing", "rn", "registered", "healthcare"),
        85_000,
        True,
        "Health Care Provider",
        "Hospitals and Health Care",
        (
            "Provide direct patient care on a busy medical-surgical unit",
            "Assess, plan and document patient care",
            "Educate patients and families on treatment plans",
            "Work closely with physicians and allied health staff",
        ),
        ("BLS", "ACLS", "patient assessment", "EHR documentation"),
        german="Gesundheits- und Krankenpfleger",
    ),
    Role(
        "Accountant",
        ("accountant", "accounting", "finance", "cpa", "bookkeeping"),
        75_000,
        False,
        "Accounting/Auditing",
        "Accounting",
        (
            "Prepare month-end close and reconciliations",
            "Support the annual audit",
            "Maintain the general ledger and fixed asset register",
            "Improve our finance processes and controls",
        ),
        ("Excel", "GAAP", "IFRS", "NetSuite", "reconciliation"),
        german="Buchhalter",
    ),
    Role(
        "Sales Representative",
        ("sales", "representative", "account", "executive", "business", "development"),
        70_000,
        False,
        "Sales and Business Development",
        "Wholesale",
        (
            "Build a pipeline of new accounts in your territory",
            "Run discovery calls and product demos",
            "Negotiate and close deals",
            "Keep our CRM accurate and up to date",
        ),
        ("CRM", "negotiation", "prospecting", "Salesforce"),
        german="Vertriebsmitarbeiter",
    ),
    Role(
        "Customer Service Representative",
        ("customer", "service", "support", "representative", "call", "center"),
        42_000,
        True,
        "Customer Service",
        "Retail",
        (
            "Answer customer questions by phone, chat and email",
            "Resolve orders, returns and billing issues",
            "Escalate complex cases to the right team",
        ),
        ("communication", "Zendesk", "patience", "problem solving"),
        german="Kundenservicemitarbeiter",
    ),
    Role(
        "Warehouse Associate",
        ("warehouse", "associate", "logistics", "picker", "packer", "forklift"),
        38_000,
        True,
        "Management and Manufacturing",
        "Transportation, Logistics, Supply Chain and Storage",
        (
            "Pick, pack and ship customer orders accurately",
            "Receive and put away inbound stock",
            "Keep the warehouse safe and tidy",
        ),
        ("forklift", "inventory", "RF scanner", "safety"),
        german="Lagermitarbeiter",
    ),
    Role(
        "Mechanical Engineer",
        ("mechanical", "engineer", "engineering", "cad", "design"),
        100_000,
        False,
        "Engineering",
        "Industrial Machinery Manufacturing",
        (
            "Design mechanical assemblies from concept to production",
            "Run tolerance analyses and FEA",
            "Work with suppliers on prototypes and tooling",
        ),
        ("SolidWorks", "GD&T", "FEA", "DFM"),
        german="Maschinenbauingenieur",
    ),
    Role(
        "Project Manager",
        ("project", "manager", "pmp", "program", "delivery"),
        105_000,
        False,
        "Project Management",
        "Construction",
        (
            "Plan and deliver projects on time and on budget",
            "Coordinate internal teams and subcontractors",
            "Report progress and risks to stakeholders",
        ),
        ("PMP", "MS Project", "budgeting", "risk management"),
        german="Projektmanager",
    ),
    Role(
        "Truck Driver",
        ("truck", "driver", "cdl", "delivery", "trucking"),
        60_000,
        True,
        "Other",
        "Truck Transportation",
        (
            "Deliver freight safely and on schedule",
            "Inspect your vehicle before and after each trip",
            "Keep accurate logs of hours and deliveries",
        ),
        ("CDL-A", "clean driving record", "DOT regulations"),
        german="LKW-Fahrer",
    ),
)

SENIORITY = (
    ("", "Mid-Senior level", 1.0, 10),
    ("Senior", "Mid-Senior level", 1.3, 6),
    ("Junior", "Entry level", 0.7, 4),
    ("Lead", "Mid-Senior level", 1.45, 2),
    ("Staff", "Mid-Senior level", 1.6, 1),
    ("Principal", "Director", 1.8, 1),
    ("Associate", "Associate", 0.8, 2),
    ("Intern", "Internship", 0.35, 1),
)

COMPANY_STEMS = (
    "Northwind",
    "Bluepeak",
    "Ironclad",
    "Brightline",
    "Silverleaf",
    "Evergreen",
    "Redwood",
    "Cobalt",
    "Summit",
    "Harborview",
    "Lumen",
    "Vertexa",
    "Orbital",
    "Granite",
    "Maple & Pine",
    "Cedarline",
    "Pioneer",
    "Atlas",
    "Kestrel",
    "Nimbus",
    "Tidewater",
    "Foxglove",
    "Juniper",
    "Arclight",
)
COMPANY_KINDS = (
    "Systems",
    "Analytics",
    "Health",
    "Labs",
    "Logistics",
    "Financial",
    "Technologies",
    "Retail",
    "Energy",
    "Robotics",
    "Media",
    "Insurance",
    "Consulting",
    "Software",
)

COMPANY_BLURBS = (
    "{company} builds tools that help small businesses run their finances with confidence.",
    "{company} is a fast-growing team on a mission to make healthcare simpler for everyone.",
    "At {company}, we move goods across the continent with software, not spreadsheets.",
    "{company} has served customers for over thirty years and is investing in what comes next.",
    "{company} is a remote-friendly company of curious people who like hard problems.",
    "{company} designs and manufactures equipment used in factories on four continents.",
)

BENEFITS = (
    "Competitive salary and an annual bonus",
    "Health, dental and vision coverage from day one",
    "Generous paid time off and flexible working hours",
    "A yearly learning budget for courses, books and conferences",
    "Pension or retirement plan with employer match",
    "Parental leave for every parent",
    "A modern laptop and home-office allowance",
    "Hybrid working: two days a week in the office",
)

NICE_TO_HAVE = (
    "Experience in a regulated industry",
    "A track record of mentoring others",
    "Open-source contributions you are proud of",
    "Fluency in a second language",
    "Experience working with distributed teams",
)

EXTRA_SECTIONS = (
    (
        "A day in the life",
        (
            "Mornings usually start with a short stand-up where the team shares plans and "
            "blockers. Most of the day is focused work, with time set aside for pairing, "
            "reviews and the occasional whiteboard session when a problem needs more brains.",
            "Once a week the whole group meets to look at what shipped, what broke and what we "
            "learned. We keep meetings short and write things down so people in other time "
            "zones can follow along.",
        ),
    ),
    (
        "How we work",
        (
            "{company} believes that small, trusted teams do their best work when they own "
            "their outcomes. You will have the autonomy to decide how to reach a goal, and the "
            "support to ask for help when you need it.",
            "We value sustainable pace over heroics. Evenings and weekends are yours, on-call "
            "is shared fairly and compensated, and we plan work so that deadlines are real but "
            "rare.",
        ),
    ),
    (
        "Our interview process",
        (
            "The process has four steps: a 30-minute call with a recruiter, a conversation with "
            "the hiring manager, a practical exercise that reflects the real work of a "
            "{title}, and a final round where you meet future colleagues.",
            "We reply to every applicant, usually within a week, and we are happy to adjust any "
            "step of the process to your needs.",
        ),
    ),
    (
        "Growth and learning",
        (
            "Every team member has a personal development plan, reviewed twice a year with "
            "their manager. Many of our leads started here in junior roles, and we prefer to "
            "promote from within whenever we can.",
            "You will get time for internal tech talks, reading groups and conferences, and a "
            "mentor outside your reporting line from your first week.",
        ),
    ),
)
