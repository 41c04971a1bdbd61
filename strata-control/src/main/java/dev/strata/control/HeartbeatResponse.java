package dev.strata.control;

import java.time.Duration;

/** The answer to a heartbeat: poll the desired state when its ETag differs from yours. */
public record HeartbeatResponse(String desiredStateEtag, Duration heartbeatInterval) {}
