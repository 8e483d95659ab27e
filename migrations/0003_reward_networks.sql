-- Reward-only networks (Tapjoy, BitLabs, ...) send points but no payout or offer id.
ALTER TABLE conversions ALTER COLUMN payout DROP NOT NULL;
ALTER TABLE conversions ALTER COLUMN offer_id DROP NOT NULL;
