"""pairs_platform: statistical-arbitrage pairs trading as a Dagster asset pipeline."""
from setuptools import find_packages, setup

DAGSTER = "1.13.27"
DAGSTER_LIBS = "0.29.27"

setup(
    name="pairs_platform",
    version="0.1.0",
    description="Statistical-arbitrage pairs trading, from prices to orders, as a Dagster asset graph",
    long_description=open("README.md", encoding="utf-8").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=find_packages(exclude=["pairs_platform_tests*", "benchmarks*"]),
    package_data={"pairs_platform.data.bundled": ["*.csv.gz", "*.md", "*.txt"]},
    include_package_data=True,
    install_requires=[
        f"dagster=={DAGSTER}",
        f"dagster-webserver=={DAGSTER}",
        f"dagster-postgres=={DAGSTER_LIBS}",
        "pandas>=2.2,<4",
        "exchange_calendars>=4.13",
        "numpy>=2.0,<3",
        "scipy>=1.13",
        "statsmodels>=0.14",
        "scikit-learn>=1.5",
        "numba>=0.60",
        "mlflow==3.17.2",
        "sqlalchemy>=2.0",
        "psycopg2-binary>=2.9",
        # SQLAlchemy 2.1 maps plain postgresql:// URLs to psycopg 3
        "psycopg[binary]>=3.2",
        "pyarrow>=15",
        "matplotlib>=3.8",
        "tabulate>=0.9",
        "threadpoolctl>=3",
        "skops>=0.10",
        "hmmlearn>=0.3",
        "universal-pathlib>=0.2",
        # the desk API, dashboard and /metrics (pairs_platform.api)
        "fastapi>=0.110",
        "uvicorn>=0.29",
        "jinja2>=3.1",
        "prometheus_client>=0.20",
    ],
    entry_points={"console_scripts": ["pairs-platform = pairs_platform.cli:main"]},
    extras_require={
        "dev": ["pytest>=8", "hypothesis>=6", "pytest-timeout>=2", "schemathesis>=4", "aiosmtpd>=1.4", "httpx>=0.27"],
        # ib_async is the maintained fork; never install ib_insync beside it.
        "ib": ["ib_async>=2.0"],
        "ib-legacy": ["ib_insync>=0.9.86"],
        "celery": [f"dagster-celery=={DAGSTER_LIBS}", "celery>=5.3", "redis>=5"],
        # vectorbt carries the Commons Clause: a benchmark-only reference, never a runtime dependency;
        # `make bench` installs it into its own .venv-bench, never into .venv.
        "bench": ["vectorbt>=0.26"],
    },
)
