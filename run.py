"""Start Hukou Desk: `python run.py` migrates/initialises the database and serves on HOST:PORT."""
import os

from app import create_app
from app.db import migrate

import config


def main() -> None:
    """Migrate first (FAB needs its tables), then build the app, bootstrap and serve."""
    migrate(config.SQLALCHEMY_DATABASE_URI)
    application = create_app()
    with application.app_context():
        from app.bootstrap import ADMIN_PASSWORD_IGNORED, admin_password_ignored, bootstrap

        if admin_password_ignored(os.environ.get("HUKOU_ADMIN_PASSWORD")):  # a newcomer after `demo` expects it
            print(ADMIN_PASSWORD_IGNORED, flush=True)
        generated = bootstrap(os.environ.get("HUKOU_ADMIN_PASSWORD"))
    if generated:
        print(f"管理员账号 admin 的初始密码（仅显示这一次）: {generated}", flush=True)
    from app.jobs.consumer import start_in_process

    start_in_process(application)  # background jobs (exports, imports) run in this process too
    application.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
                    debug=False)


app = None if __name__ == "__main__" else create_app()

if __name__ == "__main__":
    main()
