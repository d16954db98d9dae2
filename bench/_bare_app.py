"""The floor of bench/launch.py: two bare Flask views shaped like a launch's two requests (a small form answered
by a redirect and a cookie, then a 3 kB form answered by a redirect and a session cookie), nothing of LTI."""
from flask import Flask, redirect, request, session

app = Flask(__name__)
app.secret_key = "bench-only"


@app.get("/ping")
def ping():
    return "ok"


@app.post("/login")
def login():
    response = redirect(f"http://127.0.0.1/auth?state=s-{request.form.get('login_hint', '')}", code=302)
    response.set_cookie("lti1p3-state", "s", max_age=300, httponly=True)
    return response


@app.post("/launch")
def launch():
    session["uid"] = len(request.form.get("id_token", ""))
    return redirect("/learner/", code=303)
