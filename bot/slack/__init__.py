"""The Slack side: app factory, listeners and runners. Only this package imports slack_bolt."""
