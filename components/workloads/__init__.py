"""What runs on the platform: inference endpoints, their weights and their autoscaling."""
