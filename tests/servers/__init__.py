"""Real servers on loopback for tests, the demo and the story: DNS, HTTPS/WebSocket, PostgreSQL, knot, faults."""
