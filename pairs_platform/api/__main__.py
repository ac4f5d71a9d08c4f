"""``python -m pairs_platform.api [--host 127.0.0.1] [--port 8080]``: serve the desk (see docs/operations.md)."""
import argparse

import uvicorn


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Serve the pairs_platform desk API and dashboard")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port (default %(default)s)")
    args = parser.parse_args(argv)
    print(f"pairs_platform desk: http://{args.host}:{args.port}/  (API docs at /docs, metrics at /metrics)")
    uvicorn.run("pairs_platform.api:app_from_env", factory=True, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
