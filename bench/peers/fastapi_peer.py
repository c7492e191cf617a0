"""The peer for the Resource Server benchmark: a FastAPI service doing the same cookie check as
GatehouseGuard (ES256/RS256 access token from the `access_token` cookie, verified with PyJWT through
the Auth Server's JWKS, `typ`, `iss`, `aud`, `exp` checked) and answering the same profile JSON.

Run: GATEHOUSE_AUTH_URL=... GATEHOUSE_RESOURCE_URL=... uvicorn fastapi_peer:app --port P --workers 2
"""
import json
import os

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

AUTH_URL = os.environ.get("GATEHOUSE_AUTH_URL", "http://localhost:9000")
RESOURCE_URL = os.environ.get("GATEHOUSE_RESOURCE_URL", "http://localhost:8080")
jwks = jwt.PyJWKClient(f"{AUTH_URL}/.well-known/jwks.json", cache_keys=True)
app = FastAPI()


def problem(code: str, refresh: bool = False) -> Response:
    headers = {"WWW-Authenticate": "Refresh"} if refresh else {}
    body = {"type": f"https://gatehouse.dev/problems/{code}", "title": code, "status": 401, "detail": code, "code": code}
    return JSONResponse(body, status_code=401, headers=headers, media_type="application/problem+json")


@app.get("/api/profiles/me")
def me(request: Request) -> Response:
    token = request.cookies.get("access_token")
    if not token:
        return problem("unauthenticated")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("typ") != "at+jwt":
            return problem("unauthenticated")
        key = jwks.get_signing_key(header["kid"])
        claims = jwt.decode(token, key.key, algorithms=[key.algorithm_name], audience=RESOURCE_URL,
                            issuer=AUTH_URL, leeway=30, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.ExpiredSignatureError:
        return problem("token_expired", refresh=True)
    except Exception:
        return problem("unauthenticated")
    body = {"email": claims["email"], "firstName": claims["given_name"], "lastName": claims["family_name"],
            "roles": claims["roles"], "sub": claims["sub"]}
    return Response(json.dumps(body, separators=(",", ":"), sort_keys=True), media_type="application/json")
