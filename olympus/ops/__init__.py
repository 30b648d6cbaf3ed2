"""Operations (issue 14): schedules, alerts, the performance dashboard, health, cost preview, hints."""
