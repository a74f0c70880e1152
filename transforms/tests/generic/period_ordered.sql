{#- FOCUS: a period's end comes after its start. -#}
{% test period_ordered(model, start, end) %}
select * from {{ model }} where {{ end }} <= {{ start }}
{% endtest %}
