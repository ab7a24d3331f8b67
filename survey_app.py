"""Entry point: `streamlit run survey_app.py`. Navigation by role, language switch.

The page scripts live in app_pages/, not pages/: Streamlit 1.67 treats a folder named pages/
beside the entry script as an old-style automatic multipage app until a run happens to call
st.navigation, so a shared deep link opened first would lose this navigation for everyone.

The same file is read twice: `streamlit run` imports it to find `app` (st.App: the server with
its start-up, health route and session cookies, ui/server.py), and runs it as the page script
for every browser interaction, where __name__ is "__main__"."""

import streamlit as st

if __name__ != "__main__":  # imported by the server: build the ASGI app
    from starlette.middleware import Middleware

    from ui import light_form, server
    app = st.App(__file__, lifespan=server.lifespan, routes=server.ROUTES + light_form.ROUTES,
                 middleware=[Middleware(server.CodeLinkMiddleware),
                             Middleware(server.SsoCallbackMiddleware),
                             Middleware(server.PublicRaterMiddleware)])
else:  # a page run
    from survey import access
    from ui import auth, framework_text, phone, place
    from ui import holidays as holiday_notice
    from ui.context import database_trouble_shown, escape, language_switch, startup, t

    st.set_page_config(page_title="基层减负监测 · Burden monitoring", page_icon=":material/assignment:",
                       layout="centered")
    language_switch()
    phone.quiet_status_widget()
    framework_text.in_page_language()  # Streamlit's "Connection error" dialog, the skip link
    framework_text.hide_chart_toolbars()  # English only: the app's own downloads instead
    startup()  # open the database once, before any page, so errors show in one place
    # page id -> (script, title key, icon); the order is the order in the navigation
    PAGES = {
        "home": ("app_pages/home.py", "nav_home", ":material/home:"),
        "clue": ("app_pages/clue.py", "nav_clue", ":material/campaign:"),
        "rate": ("app_pages/rate.py", "nav_rate", ":material/star:"),
        "trends": ("app_pages/trends.py", "nav_trends", ":material/trending_down:"),
        "warnings": ("app_pages/warnings.py", "nav_warnings", ":material/notification_important:"),
        "responses": ("app_pages/responses.py", "nav_responses", ":material/task_alt:"),
        "briefing": ("app_pages/briefing.py", "nav_briefing", ":material/summarize:"),
        "problems": ("app_pages/problems.py", "nav_problems", ":material/report:"),
        "sources": ("app_pages/sources.py", "nav_sources", ":material/account_tree:"),
        "sql": ("app_pages/sql.py", "nav_sql", ":material/database:"),
        "admin_points": ("app_pages/admin_points.py", "nav_admin_points", ":material/location_on:"),
        "admin_bodies": ("app_pages/admin_bodies.py", "nav_admin_bodies", ":material/account_balance:"),
        "admin_plans": ("app_pages/admin_plans.py", "nav_admin_plans", ":material/event_note:"),
        "admin_duties": ("app_pages/admin_duties.py", "nav_admin_duties", ":material/checklist:"),
        "admin_questionnaires": ("app_pages/questionnaires.py", "nav_questionnaires",
                                 ":material/description:"),
        "admin_history": ("app_pages/admin_history.py", "nav_admin_history",
                          ":material/history_edu:"),
        "admin_accounts": ("app_pages/admin_accounts.py", "nav_admin_accounts", ":material/group:"),
        "rounds": ("app_pages/rounds.py", "nav_rounds", ":material/event_available:"),
        "reviews": ("app_pages/reviews.py", "nav_reviews", ":material/assignment_return:"),
        "reminders": ("app_pages/reminders.py", "nav_reminders", ":material/notifications_active:"),
        "holidays": ("app_pages/holidays.py", "nav_holidays", ":material/calendar_month:"),
        "audit": ("app_pages/audit.py", "nav_audit", ":material/history:"),
        "admin_operations": ("app_pages/admin_operations.py", "nav_admin_operations",
                             ":material/backup:"),
        "login": ("app_pages/login.py", "nav_login", ":material/login:"),
    }
    # The database may fail any run (PostgreSQL away): the page then says so in its language.
    with database_trouble_shown():
        account = auth.current()
        # Back from the organisation's sign-in: signed in ("home") or told why not ("login").
        landing = auth.finish_sso() if account is None else None
        if landing == "home":
            account = auth.current()
        must_change = account is not None and account.must_change
        usable = [pid for pid in PAGES if access.may(account, pid)
                  and not (must_change and pid not in ("home", "login"))]
        # A fresh sign-in continues on the staff member's first own page, not on the public's
        # pages; a first sign-in on the password change.
        home = "home" if account is None else "login" if must_change else next(
            (pid for pid in usable if pid not in ("home", "clue", "rate", "login")), "home")
        # Every page is registered (so a shared link to any page works and asks for sign-in there);
        # the menu shows only the pages this viewer may use. The default page (the bare address;
        # browsers without a staff session are sent on to the respondents' form, /f) passes
        # staff on to `home`: Streamlit serves the default page at / only, so any other default
        # would lose its own link (/trends answered "Page not found").
        pages = {pid: st.Page(script, title=t(title), icon=icon, default=pid == "home")
                 for pid, (script, title, icon) in PAGES.items()}
        st.session_state["home_script"] = PAGES[home][0]
        with st.sidebar:
            for pid in usable:
                # rate: opened from a point's QR code or link; home: staff pass through it
                if pid != "rate" and not (pid == "home" and account is not None):
                    st.page_link(pages[pid])
            if account is not None:
                role = access.ROLE_LABELS[account.role][1 if st.session_state["lang"] == "en" else 0]
                st.caption(t("signed_in_as", name=escape(account.display_name), role=role))
                if st.button(t("nav_logout"), icon=":material/logout:"):
                    auth.sign_out(at_provider=True)
                    st.rerun()
            # Scripts drawn for one run only go last, in the sidebar, where they move nothing:
            # drawn above a page they pushed its tabs down one place, and Streamlit drew them
            # anew on the first tab (issue 29).
            phone.close_menu_after_navigation()
            if landing is None:  # (when switching pages, the cookie goes with the next run)
                auth.deliver_cookies()  # a sign-in or sign-out of the last run reaches the cookies
        page = st.navigation(list(pages.values()), position="hidden")
        if landing:
            st.switch_page(pages[home if landing == "home" else "login"])
        place.arrive(page.url_path)
        # admins hear about a missing holiday schedule on their own pages (from 1 November for
        # next year); the 工作日历 page says it itself
        notice_at = {pages[pid].url_path for pid in usable
                     if pid not in ("home", "clue", "rate", "login", "holidays")}
        if page.url_path in notice_at:
            holiday_notice.missing_schedule_notice(account)
        page.run()
