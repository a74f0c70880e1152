{#- What DuckDB and Postgres spell differently. Each macro has a portable default where one exists;
    add `<adapter>__<macro>` for another engine (Snowflake, BigQuery...). -#}

{#- FOCUS StringHandling: ASCII only. Accents stripped, an em dash becomes '-', anything else '?'. -#}
{% macro focus_ascii(text) %}{{ return(adapter.dispatch('focus_ascii', 'finops_etl')(text)) }}{% endmacro %}
{% macro duckdb__focus_ascii(text) -%}
    regexp_replace(strip_accents(replace({{ text }}, '—', '-')), '[^\x00-\x7F]', '?', 'g')
{%- endmacro %}
{% macro default__focus_ascii(text) -%}
    regexp_replace(translate(replace({{ text }}, '—', '-'),
        'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŠšŽžČčĆćĐđŁłŃńŚśŹźŻżĘęĄąŘřŤťŮůĚěŇňĎď',
        'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyySsZzCcCcDdLlNnSsZzZzEeAaRrTtUuEeNnDd'),
        '[^\x01-\x7F]', '?', 'g')
{%- endmacro %}

{#- FOCUS UnitFormat: "1M Operations" -> "1000000 Operations" (a block unit with a plain number). -#}
{% macro focus_unit(unit) %}{{ return(adapter.dispatch('focus_unit', 'finops_etl')(unit)) }}{% endmacro %}
{% macro duckdb__focus_unit(unit) -%}
    case when regexp_matches({{ unit }}, '^[0-9]+[KMB] ') then
        cast(cast(regexp_extract({{ unit }}, '^([0-9]+)', 1) as bigint)
             * case regexp_extract({{ unit }}, '^[0-9]+([KMB])', 1) when 'K' then 1000 when 'M' then 1000000
                    else 1000000000 end as varchar)
        || ' ' || regexp_replace({{ unit }}, '^[0-9]+[KMB] ', '')
    else {{ unit }} end
{%- endmacro %}
{% macro default__focus_unit(unit) -%}
    case when {{ unit }} ~ '^[0-9]+[KMB] ' then
        cast(cast(substring({{ unit }} from '^([0-9]+)') as bigint)
             * case substring({{ unit }} from '^[0-9]+([KMB])') when 'K' then 1000 when 'M' then 1000000
                    else 1000000000 end as varchar)
        || ' ' || regexp_replace({{ unit }}, '^[0-9]+[KMB] ', '')
    else {{ unit }} end
{%- endmacro %}

{#- A UTC timestamp as ISO text, to the second ('2026-10-01T00:00:00Z') or the hour ('2026-10-01T13:00Z'):
    part of source keys, so every engine must spell it the same. -#}
{% macro utc_iso(ts, to='second') %}{{ return(adapter.dispatch('utc_iso', 'finops_etl')(ts, to)) }}{% endmacro %}
{% macro duckdb__utc_iso(ts, to) -%}
    strftime({{ ts }}, '{{ "%Y-%m-%dT%H:%M:%SZ" if to == "second" else "%Y-%m-%dT%H:00Z" }}')
{%- endmacro %}
{% macro default__utc_iso(ts, to) -%}
    to_char({{ ts }} at time zone 'UTC', '{{ "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"" if to == "second" else "YYYY-MM-DD\"T\"HH24:00\"Z\"" }}')
{%- endmacro %}

{#- The median, exact on decimals where the engine can. -#}
{% macro median(value) %}{{ return(adapter.dispatch('median', 'finops_etl')(value)) }}{% endmacro %}
{% macro duckdb__median(value) %}median({{ value }}){% endmacro %}
{% macro default__median(value) -%}
    cast(percentile_cont(0.5) within group (order by {{ value }}) as decimal(38, 10))
{%- endmacro %}

{#- A timestamp plus a number of microseconds. -#}
{% macro add_microseconds(ts, micros) %}{{ return(adapter.dispatch('add_microseconds', 'finops_etl')(ts, micros)) }}{% endmacro %}
{% macro duckdb__add_microseconds(ts, micros) %}{{ ts }} + to_microseconds(cast({{ micros }} as bigint)){% endmacro %}
{% macro default__add_microseconds(ts, micros) %}{{ ts }} + cast({{ micros }} as bigint) * interval '1 microsecond'{% endmacro %}

{#- Seconds in an interval. -#}
{% macro interval_seconds(value) %}{{ return(adapter.dispatch('interval_seconds', 'finops_etl')(value)) }}{% endmacro %}
{% macro duckdb__interval_seconds(value) %}epoch({{ value }}){% endmacro %}
{% macro default__interval_seconds(value) %}extract(epoch from {{ value }}){% endmacro %}

{#- The last day of a date's month. -#}
{% macro month_last_day(day) %}{{ return(adapter.dispatch('month_last_day', 'finops_etl')(day)) }}{% endmacro %}
{% macro duckdb__month_last_day(day) %}last_day({{ day }}){% endmacro %}
{% macro default__month_last_day(day) -%}
    cast(date_trunc('month', {{ day }}) + interval '1 month' - interval '1 day' as date)
{%- endmacro %}
