{#- A day lies in the row's month (months_before=0) or in the month that many months before it. -#}
{% test in_month(model, column_name, month, months_before=0) %}
select * from {{ model }}
where {{ column_name }} < cast({{ month }} - interval '{{ months_before }} month' as date)
   or {{ column_name }} >= cast(cast({{ month }} - interval '{{ months_before }} month' as date) + interval '1 month' as date)
{% endtest %}
