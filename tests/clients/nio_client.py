#!/usr/bin/env python3
"""matrix-nio, unmodified, against a running server-stub: registers, logs in (nio speaks
/v3 and the `identifier` object), and uses the access token it got.

Usage: nio_client.py HOMESERVER_URL   (exit 0 when every step worked)"""
import asyncio
import secrets
import sys

from nio import AsyncClient, LoginResponse, RegisterResponse


async def main(homeserver: str) -> int:
    username = "nio_" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    client = AsyncClient(homeserver, username)
    try:
        registered = await client.register(username, password)
        if not isinstance(registered, RegisterResponse):
            print(f"register failed: {registered}")
            return 1
        await client.close()
        client = AsyncClient(homeserver, username)
        logged_in = await client.login(password)
        if not isinstance(logged_in, LoginResponse):
            print(f"login failed: {logged_in}")
            return 1
        if logged_in.user_id != registered.user_id:
            print(f"login named {logged_in.user_id}, registration {registered.user_id}")
            return 1
        # The token it got works: nio sends it as a Bearer header.
        response = await client.send("GET", "/_matrix/client/v3/account/3pid",
                                     headers={"Authorization": f"Bearer {client.access_token}"})
        if response.status != 200:
            print(f"authenticated request failed: {response.status} {await response.text()}")
            return 1
        print(f"matrix-nio: registered and logged in as {logged_in.user_id}")
        return 0
    finally:
        await client.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
